/** Evidence fluxhound fetched itself (serve's active confirmation) is marked in the verdict. */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import type { DnsObservation } from '../model/observation.js';
import type { Verdict } from '../model/verdict.js';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { aResponse, T0 } from '../../test/helpers/observations.js';
import { Detector } from './detector.js';

/** A lookup of `name` answering four public addresses in four fresh /8s (four ASNs under the octet enricher), TTL 1. */
function rotating(i: number, name: string, probe: boolean): DnsObservation {
  const addresses = [0, 1, 2, 3].map((k) => `${80 + i * 4 + k}.1.2.3`);
  const o = aResponse(T0 + i * 5, name, addresses, 1, { client: probe ? null : '192.0.2.1' });
  if (probe) o.origin = 'probe';
  return o;
}

function run(probesAfterFirst: number): { flags: Verdict[]; detector: Detector } {
  const flags: Verdict[] = [];
  const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, onFlag: (v) => flags.push(v) });
  detector.observe(rotating(0, 'www.flux.example', false));
  for (let i = 1; i <= probesAfterFirst; i++) detector.observe(rotating(i, 'www.flux.example', true));
  return { flags, detector };
}

describe('probe evidence in verdicts', () => {
  it('a verdict from client lookups alone carries no probe count and no probe reason', () => {
    const { detector } = run(0);
    const v = detector.current('www.flux.example')!;
    expect(v.probes).toBeUndefined();
    expect(v.reasons.join(' ')).not.toMatch(/probe/);
  });

  it('counts the lookups that were probes and says a fast-flux verdict was confirmed by them', () => {
    const { flags, detector } = run(3);
    const risen = flags.find((f) => f.verdict === 'fast-flux');
    expect(risen, JSON.stringify(flags.map((f) => f.verdict))).toBeDefined();
    expect(risen!.probes).toBeGreaterThan(0);
    const n = risen!.probes!;
    expect(risen!.reasons).toContain(`confirmed by ${n} active probe${n === 1 ? '' : 's'} (${n} of its ${risen!.features.lookups} lookups ${n === 1 ? 'was' : 'were'} fluxhound's own)`);
    const now = detector.current('www.flux.example')!;
    expect(now.probes).toBe(3);
    expect(now.features.lookups).toBe(4);
    expect(now.reasons).toContain("confirmed by 3 active probes (3 of its 4 lookups were fluxhound's own)");
  });

  it('probes are not clients', () => {
    const { detector } = run(3);
    expect(detector.current('www.flux.example')!.features.clients).toBe(1);
  });
});
