/**
 * NS names and CNAME targets are counted once each, however many the kept
 * lists (limits.maxNamesPerDomain) have room for: before, every lookup
 * re-counted the names a full list held no slot for (a shared registry read
 * "148 NS names" with 60).
 */
import { describe, expect, it } from 'vitest';
import { aResponse, rr, T0 } from '../../test/helpers/observations.js';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { defaultConfig } from '../config/schema.js';
import type { Verdict } from '../model/verdict.js';
import { Detector } from './detector.js';
import { NameList } from './digest.js';
import { hashName } from './name-table.js';
import { addHash, addName, Delegation, indexOfName } from './state.js';

/** `names` distinct NS names (and CNAME targets), two per response, cycled `rounds` times over one name. */
function cycle(names: number, rounds: number): Verdict {
  const finals: Verdict[] = [];
  const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, onFinal: (v) => finals.push(v), reportBenign: true });
  let t = T0;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names; i += 2) {
      const authority = [rr('www.example-zone.com', 'NS', `ns${i}.hosting.net`), rr('www.example-zone.com', 'NS', `ns${i + 1}.hosting.net`)];
      const obs = aResponse((t += 10), 'www.example-zone.com', ['20.1.1.1'], 300, { authority });
      obs.answers.unshift(rr('www.example-zone.com', 'CNAME', `edge${i}.cdn-target.net`));
      detector.observe(obs);
    }
  }
  detector.flush();
  return finals.find((v) => v.domain === 'www.example-zone.com')!;
}

describe('distinct NS names and CNAME targets', () => {
  it('counts 60 names once each over 5 rounds, beyond the 16 the lists keep', () => {
    const v = cycle(60, 5);
    expect(v.features.ns_names).toBe(60);
    expect(v.features.cname_targets).toBe(30);
    expect(v.evidence.name_servers).toHaveLength(16);
    expect(v.lower_bounds ?? []).not.toContain('ns_names');
  });

  it('reports a lower bound, worded "at least", once more names arrive than it can tell apart', () => {
    const v = cycle(16 + 1024 + 40, 2);
    expect(v.features.ns_names).toBe(16 + 1024);
    expect(v.lower_bounds).toContain('ns_names');
    expect(v.reasons.some((r) => r.startsWith('at least 1040 NS names'))).toBe(true);
  });
});

describe('name lists compared by hash first', () => {
  it('finds a name by hash and name, and tells apart two names of one hash', () => {
    const names = ['a.example', 'b.example'];
    const hashes = [7, 7];
    expect(indexOfName(names, hashes, 'b.example', 7)).toBe(1);
    expect(indexOfName(names, hashes, 'c.example', 7)).toBe(-1);
    expect(indexOfName(names, hashes, 'a.example', 8)).toBe(-1);
  });

  it("a digest's NameList keeps each distinct name's hashName, in step with its names", () => {
    const list = new NameList();
    for (const n of ['ns1.example.net', '', 'ns2.example.net', 'ns1.example.net']) list.add(n);
    expect(list.size).toBe(2);
    expect([list.at(0), list.at(1)]).toEqual(['ns1.example.net', 'ns2.example.net']);
    expect([list.hashAt(0), list.hashAt(1)]).toEqual([hashName('ns1.example.net'), hashName('ns2.example.net')]);
  });

  it("a Delegation's clone (a registered domain's union) keeps the hashes in step with the names", () => {
    const d = new Delegation();
    for (let i = 0; i < 12; i++) {
      const name = `ns${i}.example.net`;
      d.nsNames = addName(d.nsNames, name);
      d.nsNameHashes = addHash(d.nsNameHashes, hashName(name));
      d.cnameTargets = addName(d.cnameTargets, `edge${i}.cdn.net`);
      d.cnameTargetHashes = addHash(d.cnameTargetHashes, hashName(`edge${i}.cdn.net`));
    }
    const c = d.clone();
    expect(c.nsNameHashes).toEqual(c.nsNames.map(hashName));
    expect(c.cnameTargetHashes).toEqual(c.cnameTargets.map(hashName));
    expect(indexOfName(c.nsNames, c.nsNameHashes, 'ns11.example.net', hashName('ns11.example.net'))).toBe(11);
  });
});
