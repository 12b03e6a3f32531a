import { describe, expect, it } from 'vitest';
import { keptFindings } from '../../../test/helpers/flows.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { defaultConfig } from '../../config/schema.js';
import type { FlowRecord } from '../../model/flow.js';
import { isoTime } from '../../model/verdict.js';
import { createFlowAnalysis } from './index.js';

const T = Date.UTC(2025, 3, 3, 12) / 1000;
const FLOWS = 1_000_000;
const REMOTES = 50_000;

function remote(i: number): string {
  return `45.${(i >> 8) & 255}.${i & 255}.9`;
}

describe('bounded memory', () => {
  it('1M flows from 1M hosts stay within flows.limits, and every count stays exact', () => {
    const config = defaultConfig();
    config.flows.limits = { maxHosts: 1000, maxAddresses: 2000, maxClientsPerAddress: 8, maxClientEntries: 500_000, maxLookupsPerHost: 4 };
    const findings = keptFindings();
    const flows = createFlowAnalysis({ config, findings });
    // Every 100th remote address is a flux host of one flagged name.
    const fluxAddresses: string[] = [];
    for (let r = 0; r < REMOTES; r += 100) fluxAddresses.push(remote(r));
    flows.verdict(flaggedVerdict('flux.example', { addresses: fluxAddresses, firstSeen: isoTime(T), lastSeen: isoTime(T + 3600) }), 'flag');
    const flow: FlowRecord = { start: 0, end: 0, src: '', srcPort: 50000, dst: '', dstPort: 443, proto: 6, bytes: 100, packets: 2, samplingRate: 1, exporter: 'test', position: '' };
    let expectedFluxFlows = 0;
    for (let i = 0; i < FLOWS; i++) {
      flow.start = T + i * 0.003;
      flow.end = flow.start + 1;
      flow.src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      flow.dst = remote(i % REMOTES);
      if ((i % REMOTES) % 100 === 0) expectedFluxFlows++;
      flows.flow(flow);
    }
    flows.flush();
    const stats = flows.stats;
    expect(stats.flows).toBe(FLOWS);
    expect(stats.late).toBe(0);
    expect(stats.unmatched).toBe(FLOWS - expectedFluxFlows);
    expect(stats.hosts).toBe(1000);
    expect(stats.evictedHosts).toBe(FLOWS - 1000);
    expect(stats.addresses).toBe(2000);
    // Each address is seen 20 times in order, so each new one evicts the least recently seen: all but the last 2000, then every return.
    expect(stats.evictedAddresses).toBe(FLOWS - 2000);
    expect(stats.fluxHosts).toBe(fluxAddresses.length);
    // Every flux flow came from another client: one exposure each, none lost to the accumulator cap (reported early instead).
    expect(stats.exposures).toBe(expectedFluxFlows);
    expect(findings.exposures.reduce((n, e) => n + e.flows, 0)).toBe(expectedFluxFlows);
    expect(findings.exposures.reduce((n, e) => n + e.bytes, 0)).toBe(expectedFluxFlows * 100);
    expect(stats.evictedExposures).toBe(expectedFluxFlows - 1000);
  });

  it('client tallies over all addresses stay within flows.limits.maxClientEntries; exposures and totals stay exact', () => {
    const config = defaultConfig();
    // Room for every address and 64 clients each (3.2M tallies), but a budget of 5,000 over all of them.
    config.flows.limits = { maxHosts: 100_000, maxAddresses: 50_000, maxClientsPerAddress: 64, maxClientEntries: 5000, maxLookupsPerHost: 4 };
    const findings = keptFindings();
    const flows = createFlowAnalysis({ config, findings });
    const flow: FlowRecord = { start: 0, end: 0, src: '', srcPort: 50000, dst: '', dstPort: 443, proto: 6, bytes: 100, packets: 2, samplingRate: 1, exporter: 'test', position: '' };
    let most = 0;
    const N = 200_000;
    for (let i = 0; i < N; i++) {
      flow.start = T + i * 0.003;
      flow.end = flow.start + 1;
      flow.src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`; // every flow a new client
      flow.dst = remote(i % 1000);
      flows.flow(flow);
      most = Math.max(most, flows.stats.clientEntries);
    }
    // The last 1,000 flows' addresses were flagged after their flows came (they wait in their tallies).
    const late = [...Array(1000).keys()].map((r) => remote(r));
    flows.verdict(flaggedVerdict('flux.example', { addresses: late, firstSeen: isoTime(T + N * 0.003 - 5), lastSeen: isoTime(T + N * 0.003) }), 'final');
    flows.flush();
    const stats = flows.stats;
    expect(most).toBe(5000);
    expect(stats.clientEntries).toBeLessThanOrEqual(5000);
    // Tallies dropped with their addresses, exactly: all those made minus those held.
    expect(stats.evictedClientEntries).toBe(N - stats.clientEntries);
    expect(stats.evictedClientEntries).toBeGreaterThan(0);
    expect(stats.flows).toBe(N);
    // Flows within 300 s (lateness) + 5 s of the flagging, all still tallied: each its own exposure.
    expect(stats.exposures).toBe(findings.exposures.length);
    expect(findings.exposures.reduce((n, e) => n + e.flows, 0)).toBe(stats.exposures);
    expect(stats.exposures).toBeGreaterThan(0);
  });
});
