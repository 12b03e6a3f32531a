/**
 * Zone cuts end to end: detector verdicts into FlaggedDomains (what the
 * forwarder, the RPZ feed and the block page enforce) on synthetic traffic
 * of a shared registry.
 */
import { describe, expect, it } from 'vitest';
import { FlaggedDomains } from '../src/act/flagged.js';
import { defaultConfig } from '../src/config/schema.js';
import { Detector } from '../src/detect/detector.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { aResponse, bot, T0 } from './helpers/observations.js';
import { customers, fluxZone, PROVIDER } from './helpers/zone-cuts.js';

function flaggedAfter(feed: (d: Detector) => void): FlaggedDomains {
  const flagged = new FlaggedDomains();
  const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, onFinal: (v) => flagged.upsert(v) });
  feed(detector);
  detector.flush();
  return flagged;
}

describe('blocking follows the zone cut', () => {
  it('blocks a fast-flux customer zone of a shared registry and the names under it, not a sibling customer or the provider', () => {
    const child = `bad.${PROVIDER}`;
    const flagged = flaggedAfter((d) => {
      customers(d, 3);
      fluxZone(d, child, [child, `www.${child}`], 12, 0);
    });
    expect([...flagged.entries()].map((v) => [v.domain, v.zone])).toEqual([
      [child, child],
      [`www.${child}`, child],
    ]);
    for (const name of [child, `www.${child}`, `mail.${child}`, `a.b.${child}`]) expect(flagged.match(name)).not.toBeNull();
    for (const name of [PROVIDER, `www.${PROVIDER}`, `cust3.${PROVIDER}`, `www.cust3.${PROVIDER}`, `notbad.${PROVIDER}`]) expect(flagged.match(name)).toBeNull();
  });

  it('takes a flux child whose responses never carried its NS records to be its own zone, at the depth the provider delegates', () => {
    const child = `quiet.${PROVIDER}`;
    const flagged = flaggedAfter((d) => {
      customers(d, 3);
      // Answers alone, no authority section: its zone cut is never seen.
      for (let lookup = 0; lookup < 12; lookup++) {
        for (const q of [child, `www.${child}`]) d.observe(aResponse(T0 + 9000 + lookup * 600, q, [0, 1, 2, 3, 4].map((i) => bot(lookup * 7 + i)), 120));
      }
    });
    expect([...flagged.entries()].map((v) => [v.domain, v.zone])).toEqual([
      [child, child],
      [`www.${child}`, child],
    ]);
    for (const name of [child, `www.${child}`]) expect(flagged.match(name)).not.toBeNull();
    for (const name of [PROVIDER, `www.${PROVIDER}`, `cust3.${PROVIDER}`]) expect(flagged.match(name)).toBeNull();
  });

  it('blocks the whole provider when its own apex name servers rotate', () => {
    const flagged = flaggedAfter((d) => {
      customers(d, 3);
      fluxZone(d, PROVIDER, [PROVIDER, `www.${PROVIDER}`], 12, 500);
    });
    expect(flagged.match(`cust3.${PROVIDER}`)).not.toBeNull();
    expect(flagged.match(`anything.${PROVIDER}`)).not.toBeNull();
  });

  it('blocks nothing of a shared registry whose customers keep their own name servers', () => {
    expect(flaggedAfter((d) => customers(d, 3)).size).toBe(0);
  });
});
