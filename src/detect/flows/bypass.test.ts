import { describe, expect, it } from 'vitest';
import { flowRecord, keptFindings } from '../../../test/helpers/flows.js';
import { aResponse } from '../../../test/helpers/observations.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { defaultConfig } from '../../config/schema.js';
import type { FlowRecord } from '../../model/flow.js';
import type { DnsObservation } from '../../model/observation.js';
import { isoTime } from '../../model/verdict.js';
import { createFlowAnalysis } from './index.js';

const T = Date.UTC(2025, 3, 3, 1) / 1000;
const NAMES = 200; // more than limits.maxLookupsPerHost (64): a busy client's lookup memory rolls over
const FLAGGED = 10; // an early name: its lookup is long forgotten by the client's lookup memory at the end

function addressOf(i: number): string {
  return `45.9.${i >> 8}.${i & 255}`;
}

/** A busy client that looks each name up and connects 0.5 s later (like the bundled example), and one that never asks. */
function traffic(): { dns: DnsObservation[]; flows: FlowRecord[] } {
  const dns: DnsObservation[] = [];
  const flows: FlowRecord[] = [];
  for (let i = 0; i < NAMES; i++) {
    dns.push(aResponse(T + i * 10, `n${i}.example`, [addressOf(i)], 60, { client: '10.1.0.3' }));
    flows.push(flowRecord(T + i * 10 + 0.5, '10.1.0.3', addressOf(i)));
  }
  flows.push(flowRecord(T + FLAGGED * 10 + 2, '10.1.0.200', addressOf(FLAGGED))); // never looked anything up
  flows.sort((a, b) => a.start - b.start);
  return { dns, flows };
}

function flagged() {
  return flaggedVerdict(`n${FLAGGED}.example`, { addresses: [addressOf(FLAGGED)], firstSeen: isoTime(T + FLAGGED * 10), lastSeen: isoTime(T + FLAGGED * 10) });
}

function run(order: 'dns-first' | 'flows-first' | 'interleaved', limits: Partial<ReturnType<typeof defaultConfig>['flows']['limits']> = {}) {
  const config = defaultConfig();
  Object.assign(config.flows.limits, limits);
  const findings = keptFindings();
  const analysis = createFlowAnalysis({ config, findings, reporting: 'batch' });
  const { dns, flows } = traffic();
  if (order === 'dns-first') {
    for (const o of dns) analysis.observe(o);
    for (const f of flows) analysis.flow(f);
  } else if (order === 'flows-first') {
    for (const f of flows) analysis.flow(f);
    for (const o of dns) analysis.observe(o);
  } else {
    let d = 0;
    for (const f of flows) {
      while (d < dns.length && dns[d]!.ts <= f.start) analysis.observe(dns[d++]!);
      analysis.flow(f);
    }
  }
  analysis.verdict(flagged(), 'final');
  analysis.flush();
  return { findings, stats: analysis.stats };
}

describe('DNS bypass with a busy client (more lookups than limits.maxLookupsPerHost)', () => {
  for (const order of ['dns-first', 'flows-first', 'interleaved'] as const) {
    it(`${order}: the client that got the answer 0.5 s before is no bypass; the one that never asked is`, () => {
      const { findings, stats } = run(order);
      const bypass = Object.fromEntries(findings.exposures.map((e) => [e.client, e.bypass]));
      expect(bypass).toEqual({ '10.1.0.3': false, '10.1.0.200': true });
      expect(stats.bypasses).toBe(1);
      expect(stats.bypassUnknown).toBe(0);
    });
  }

  it('when the receipts that could prove a lookup were forgotten, no bypass is claimed: counted unknown', () => {
    // One client remembered per address, and 10.1.0.9 received the flagged address 1 s after 10.1.0.3 did.
    const config = defaultConfig();
    config.flows.limits.maxClientsPerAddress = 1;
    const findings = keptFindings();
    const analysis = createFlowAnalysis({ config, findings });
    analysis.verdict(flagged(), 'final'); // flagged first: the flows join at once (the cap of 1 tally per address does not hold them back)
    const { dns, flows } = traffic();
    for (const o of dns) analysis.observe(o);
    analysis.observe(aResponse(T + FLAGGED * 10 + 1, `n${FLAGGED}.example`, [addressOf(FLAGGED)], 60, { client: '10.1.0.9' }));
    for (const f of flows) analysis.flow(f);
    analysis.flush();
    const bypass = Object.fromEntries(findings.exposures.map((e) => [e.client, e.bypass]));
    // 10.1.0.3's receipt made room for 10.1.0.9's just before the flows: nothing proves either way, for either client.
    expect(bypass).toEqual({ '10.1.0.3': false, '10.1.0.200': false });
    expect(analysis.stats.bypasses).toBe(0);
    expect(analysis.stats.bypassUnknown).toBe(2);
  });

  it('receipts forgotten long before the flows do not hide a real bypass', () => {
    const config = defaultConfig();
    config.flows.limits.maxAddresses = 16; // 200 addresses answered: most receipts dropped, hours before the flow
    const findings = keptFindings();
    const analysis = createFlowAnalysis({ config, findings });
    const end = T + NAMES * 10 + 4000;
    analysis.verdict(flaggedVerdict(`n${FLAGGED}.example`, { addresses: [addressOf(FLAGGED)], firstSeen: isoTime(T + FLAGGED * 10), lastSeen: isoTime(end) }), 'final');
    for (const o of traffic().dns) analysis.observe(o);
    analysis.flow(flowRecord(end, '10.1.0.201', addressOf(FLAGGED)));
    analysis.flush();
    expect(findings.exposures.map((e) => [e.client, e.bypass])).toEqual([['10.1.0.201', true]]);
    expect(analysis.stats.bypassUnknown).toBe(0);
  });

  it('limits.maxClientEntries bounds receipts and lookups over all hosts; what it forgot makes bypass unknown, not true', () => {
    const config = defaultConfig();
    config.flows.limits.maxClientEntries = 64;
    const findings = keptFindings();
    const analysis = createFlowAnalysis({ config, findings });
    analysis.verdict(flagged(), 'final');
    // 200 hosts each look a name up; the first of them got the flagged address, then connected to it.
    analysis.observe(aResponse(T + FLAGGED * 10, `n${FLAGGED}.example`, [addressOf(FLAGGED)], 60, { client: '10.2.0.0' }));
    for (let i = 1; i < 200; i++) analysis.observe(aResponse(T + FLAGGED * 10 + i * 0.01, `n${i}.example`, [addressOf(i)], 60, { client: `10.2.0.${i}` }));
    analysis.flow(flowRecord(T + FLAGGED * 10 + 3, '10.2.0.0', addressOf(FLAGGED)));
    analysis.flush();
    const stats = analysis.stats;
    expect(stats.lookups).toBeLessThanOrEqual(64);
    expect(stats.answerEntries).toBeLessThanOrEqual(64);
    expect(stats.evictedAnswerEntries).toBe(200 - stats.answerEntries);
    expect(findings.exposures.map((e) => [e.client, e.bypass])).toEqual([['10.2.0.0', false]]);
    expect(stats.bypassUnknown).toBe(1);
  });
});

describe('noFlowsToCome: a run without flows keeps no DNS memory for them', () => {
  it('drops and stops keeping receipts and lookups; a flow that comes anyway is never a bypass, counted unknown', () => {
    const findings = keptFindings();
    const analysis = createFlowAnalysis({ config: defaultConfig(), findings });
    const { dns } = traffic();
    for (const o of dns.slice(0, 10)) analysis.observe(o);
    expect(analysis.stats.lookups).toBe(10);
    analysis.noFlowsToCome();
    expect([analysis.stats.lookups, analysis.stats.answerEntries]).toEqual([0, 0]);
    for (const o of dns.slice(10)) analysis.observe(o);
    expect([analysis.stats.lookups, analysis.stats.answerEntries]).toEqual([0, 0]);
    analysis.verdict(flagged(), 'final');
    analysis.flow(flowRecord(T + FLAGGED * 10 + 2, '10.1.0.200', addressOf(FLAGGED)));
    analysis.flush();
    expect(findings.exposures.map((e) => [e.client, e.bypass])).toEqual([['10.1.0.200', false]]);
    expect(analysis.stats.bypassUnknown).toBe(1);
  });

  it('is ignored once a flow has come: the proof still sees DNS read after the flows', () => {
    const findings = keptFindings();
    const analysis = createFlowAnalysis({ config: defaultConfig(), findings });
    const { dns, flows } = traffic();
    for (const f of flows) analysis.flow(f);
    analysis.noFlowsToCome();
    for (const o of dns) analysis.observe(o);
    analysis.verdict(flagged(), 'final');
    analysis.flush();
    expect(Object.fromEntries(findings.exposures.map((e) => [e.client, e.bypass]))).toEqual({ '10.1.0.3': false, '10.1.0.200': true });
    expect(analysis.stats.bypassUnknown).toBe(0);
  });
});
