import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { aResponse, bot, T0 } from '../../../test/helpers/observations.js';
import { flowRecord, keptFindings } from '../../../test/helpers/flows.js';
import { defaultConfig } from '../../config/schema.js';
import type { Verdict } from '../../model/verdict.js';
import { Detector } from '../detector.js';
import { createFlowAnalysis } from './index.js';

/** A detector with (or without) the real flow analysis as its FlowEvidenceSource; flows are fed first. */
function run(feedFlows: ((f: ReturnType<typeof createFlowAnalysis>) => void) | null, feedDns: (d: Detector) => void) {
  const config = defaultConfig();
  const analysis = createFlowAnalysis({ config, findings: keptFindings() });
  const flags: Verdict[] = [];
  const finals: Verdict[] = [];
  const detector = new Detector({
    config,
    enricher: octetEnricher,
    flows: feedFlows === null ? null : analysis,
    onFlag: (v) => flags.push(v),
    onFinal: (v) => finals.push(v),
    reportBenign: true,
  });
  feedFlows?.(analysis);
  feedDns(detector);
  detector.flush();
  return { flags, finals };
}

/** Three lookups, two new addresses each: suspicious on its own (57 points). */
function rotating(d: Detector): void {
  for (let l = 0; l < 3; l++) d.observe(aResponse(T0 + l * 300, 'x.example.net', [bot(2 * l), bot(2 * l + 1)], 3600));
}

describe('flow evidence in verdicts', () => {
  it('strengthens a rotating name: features, Verdict.flows, the score and the reason with numbers', () => {
    const without = run(null, rotating).finals[0]!;
    expect(without.verdict).toBe('suspicious');
    expect(without.features.flow_evidence).toBeUndefined();
    expect(without.flows).toBeUndefined();
    const { finals, flags } = run((f) => {
      for (let i = 0; i < 6; i++) for (let c = 0; c < 12; c++) if ((i + c) % 2 === 0) f.flow(flowRecord(T0 + 100 + c, `10.0.0.${c + 1}`, bot(i)));
      // Two of its addresses call in to our hosts (bots): inbound, not from an ephemeral port to a service port reply.
      for (let h = 0; h < 5; h++) f.flow(flowRecord(T0 + 200, bot(h % 2), `10.1.0.${h + 1}`, { srcPort: 40000, dstPort: 22 }));
    }, rotating);
    const v = finals[0]!;
    expect(v.features.flow_evidence).toBe(6);
    expect(v.features.flow_clients).toBe(12);
    expect(v.flows).toEqual({ addresses: 6, clients: 12, inbound: 5, flows: 36 + 5, window: 3600 });
    expect(v.score).toBeGreaterThan(without.score);
    expect(v.verdict).toBe('fast-flux');
    expect(v.contributions.find((c) => c.feature === 'flow_evidence')?.points).toBe(7.1);
    expect(v.reasons).toContain('6 of its addresses took connections from 12 clients and connected in to 5 of our hosts in 1 h (41 flows)');
    // The flag path scores with flows too: the name is flagged fast-flux while the lookups come in.
    expect(flags.map((f) => f.verdict)).toContain('fast-flux');
  });

  it('never flags alone: a stable popular name with flows from many clients stays benign, the flows told', () => {
    const { finals, flags } = run(
      (f) => {
        for (let c = 0; c < 200; c++) f.flow(flowRecord(T0 + c, `10.0.${c >> 8}.${c & 255}`, '93.184.216.34'));
      },
      (d) => {
        for (let i = 0; i < 100; i++) d.observe(aResponse(T0 + i * 30, 'www.example.com', ['93.184.216.34'], 3600));
      },
    );
    const v = finals[0]!;
    expect(v).toMatchObject({ verdict: 'benign', score: 0 });
    expect(v.features.flow_evidence).toBe(1);
    // Past maxClientsPerAddress (64) the peers are sketched: an estimate within a few per cent.
    expect(v.features.flow_clients).toBeGreaterThan(190);
    expect(v.features.flow_clients).toBeLessThan(210);
    expect(v.contributions).toEqual([]);
    expect(v.reasons).toEqual([`1 of its addresses took connections from ${v.features.flow_clients} clients in 1 h (200 flows)`]);
    expect(flags).toEqual([]);
  });

  it('counts only the peers and flows inside the window, not every client the address ever had (REVIEW16 #1)', () => {
    const { finals } = run((f) => {
      // 30 clients three hours before the name's last answer (T0 + 600), one of them again inside the hour, and one more inside.
      for (let c = 0; c < 30; c++) f.flow(flowRecord(T0 + 600 - 3 * 3600, `10.0.0.${c + 1}`, bot(0)));
      f.flow(flowRecord(T0 + 100, '10.0.0.1', bot(0)));
      f.flow(flowRecord(T0 + 200, '10.0.1.1', bot(0)));
      // A long-lived peer: one flow long before, one inside: only the one inside counts.
      f.flow(flowRecord(T0 - 5 * 3600, '10.0.1.2', bot(1)));
      f.flow(flowRecord(T0 + 300, '10.0.1.2', bot(1)));
    }, rotating);
    const v = finals[0]!;
    expect(v.flows).toEqual({ addresses: 2, clients: 3, inbound: 0, flows: 3, window: 3600 });
    expect(v.features.flow_clients).toBe(3);
    expect(v.reasons).toContain('2 of its addresses took connections from 3 clients in 1 h (3 flows)');
  });

  it('flows outside the window around the verdict are no evidence', () => {
    const { finals } = run((f) => {
      for (let c = 0; c < 12; c++) f.flow(flowRecord(T0 - 10 * 3600, `10.0.0.${c + 1}`, bot(0)));
    }, rotating);
    expect(finals[0]!.flows).toBeUndefined();
    expect(finals[0]!.features.flow_evidence).toBeUndefined();
  });
});
