import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.js';
import { isoTime } from '../../model/verdict.js';
import { aResponse, rr } from '../../../test/helpers/observations.js';
import { flowRecord, keptFindings } from '../../../test/helpers/flows.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { parseZeekConnTsv } from '../../sources/flows/zeek-conn.js';
import { createFlowAnalysis } from './index.js';

const T = Date.UTC(2025, 3, 3, 12) / 1000;
const FLUX = '51.178.15.143';
const FLUX2 = '91.203.4.17';

function flagged(extra: { first?: number; last?: number; network?: string | null; label?: 'fast-flux' | 'suspicious' | 'benign' } = {}) {
  const v = flaggedVerdict('flux.example', {
    addresses: [FLUX, FLUX2],
    firstSeen: isoTime(extra.first ?? T),
    lastSeen: isoTime(extra.last ?? T + 600),
    label: extra.label ?? 'fast-flux',
  });
  v.network = extra.network === undefined ? 'fn-1' : extra.network;
  return v;
}

function analysis(reporting: 'batch' | 'live' = 'batch', customers: ((ip: string) => string | null) | null = null) {
  const findings = keptFindings();
  const flows = createFlowAnalysis({ config: defaultConfig(), infra: null, customers, findings, reporting });
  return { flows, findings };
}

describe('exposure', () => {
  it('joins flows that came after the verdict: one line per client, domain and direction at flush, totals over its flows', () => {
    const { flows, findings } = analysis('batch', (ip) => (ip.startsWith('10.0.') ? 'acme' : null));
    flows.verdict(flagged(), 'final');
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX));
    flows.flow(flowRecord(T + 20, '10.0.0.7', FLUX2, { bytes: 800, packets: 5 }));
    flows.flow(flowRecord(T + 30, '10.0.0.8', '203.0.113.9'));
    expect(findings.exposures).toEqual([]);
    flows.flush();
    expect(findings.exposures).toHaveLength(1);
    const e = findings.exposures[0]!;
    expect(e).toMatchObject({ record: 'exposure', client: '10.0.0.7', customer: 'acme', address: FLUX, domain: 'flux.example', network: 'fn-1', flows: 2, bytes: 2000, packets: 15, sampled: false, direction: 'outbound', bypass: false });
    expect(e.first).toBe(isoTime(T + 10));
    expect(e.last).toBe(isoTime(T + 21));
    expect(e.reason).toBe('10.0.0.7 connected to 51.178.15.143 and 1 more address (flux.example, fn-1) in 2 flows, 2.0 kB, 15 packets, 12:00:10–12:00:21 UTC');
    expect(flows.stats).toMatchObject({ flows: 3, unmatched: 1, exposures: 1, bypasses: 0 });
  });

  it('joins flows that came before the verdict (conn.log read before dns.log), within the verdict span ± lateness only', () => {
    const { flows, findings } = analysis();
    flows.flow(flowRecord(T - 200, '10.0.0.7', FLUX)); // within lateness (300 s) before the first answer
    flows.flow(flowRecord(T - 4000, '10.0.0.9', FLUX)); // long before: not this name's
    flows.flow(flowRecord(T + 900, '10.0.0.7', FLUX)); // within lateness after the last answer (T + 600)
    flows.verdict(flagged(), 'final');
    flows.flush();
    expect(findings.exposures.map((e) => [e.client, e.flows])).toEqual([['10.0.0.7', 2]]);
  });

  it('a late verdict joins only the flows inside its span, not a client\'s earlier flows to the same address (REVIEW16 #3)', () => {
    const { flows, findings } = analysis();
    flows.flow(flowRecord(T - 5.5 * 3600, '10.0.0.7', FLUX)); // hours before the first answer: not this name's
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX));
    flows.flow(flowRecord(T + 20, '10.0.0.7', FLUX));
    flows.verdict(flagged(), 'final');
    flows.flush();
    expect(findings.exposures.map((e) => [e.client, e.flows, e.bytes, e.first])).toEqual([['10.0.0.7', 2, 2400, isoTime(T + 10)]]);
  });

  it('a benign verdict makes no flux host; an injected one neither', () => {
    const { flows, findings } = analysis();
    flows.verdict(flagged({ label: 'benign' }), 'final');
    const injected = flagged();
    injected.tampering = { kind: 'injected', reasons: [], answers: 3 };
    flows.verdict(injected, 'final');
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX));
    flows.flush();
    expect(findings.exposures).toEqual([]);
  });

  it('a reply record (flux host port 443 to the client ephemeral port) is the client outbound connection; a bot calling in is inbound', () => {
    const { flows, findings } = analysis();
    flows.verdict(flagged(), 'final');
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX));
    flows.flow(flowRecord(T + 10, FLUX, '10.0.0.7', { srcPort: 443, dstPort: 51000, bytes: 50_000, packets: 40 }));
    flows.flow(flowRecord(T + 50, FLUX, '10.0.0.20', { srcPort: 40123, dstPort: 22, bytes: 300, packets: 4 }));
    flows.flush();
    const byDirection = Object.fromEntries(findings.exposures.map((e) => [e.direction, e]));
    expect(byDirection.outbound).toMatchObject({ client: '10.0.0.7', flows: 2, bytes: 51_200, packets: 50 });
    expect(byDirection.inbound).toMatchObject({ client: '10.0.0.20', flows: 1, bypass: false });
    expect(byDirection.inbound!.reason).toBe('51.178.15.143 (flux.example, fn-1) connected in to 10.0.0.20 in 1 flow, 300 B, 4 packets, 12:00:50–12:00:51 UTC');
  });

  it('a format that knows who started the connection is believed over the port guess: Zeek orig 10.9.0.9:3000 → flux :8080 is outbound (REVIEW16 #2)', () => {
    const conn = [
      '#separator \\x09',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\tconn_state\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes',
      `${T + 10}\tC1\t10.9.0.9\t3000\t${FLUX}\t8080\ttcp\t1.0\t1\t1\tSF\t1\t100\t1\t200`,
    ].join('\n');
    const parsed = parseZeekConnTsv(Buffer.from(conn + '\n'), 'conn.log');
    expect(parsed.skipped).toEqual([]);
    expect(parsed.records[0]).toMatchObject({ src: '10.9.0.9', srcPort: 3000, dstPort: 8080, initiator: 'src' });
    const { flows, findings } = analysis();
    flows.verdict(flagged(), 'final');
    flows.flow(parsed.records[0]!);
    // The same ports without a known initiator (a unidirectional NetFlow record) are still guessed a reply to a connection from :8080.
    flows.flow(flowRecord(T + 20, '10.9.0.10', FLUX, { srcPort: 3000, dstPort: 8080 }));
    flows.flush();
    expect(findings.exposures.map((e) => [e.client, e.direction])).toEqual([
      ['10.9.0.9', 'outbound'],
      ['10.9.0.10', 'inbound'],
    ]);
  });

  it('scales sampled flows by the announced rate and says so', () => {
    const { flows, findings } = analysis();
    flows.verdict(flagged(), 'final');
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX, { samplingRate: 100, bytes: 1500, packets: 1 }));
    flows.flow(flowRecord(T + 11, '10.0.0.7', FLUX, { samplingRate: 1, bytes: 100, packets: 1 }));
    flows.flush();
    expect(findings.exposures[0]).toMatchObject({ flows: 2, bytes: 150_100, packets: 101, sampled: true });
    expect(findings.exposures[0]!.reason).toContain('(estimated from sampled flows)');
  });

  it('drops and counts a flow older than the tables horizon behind the newest flow', () => {
    const { flows } = analysis();
    flows.flow(flowRecord(T + 10_000, '10.0.0.7', '203.0.113.9'));
    flows.flow(flowRecord(T + 10_000 - 3600 - 300 - 10, '10.0.0.7', '203.0.113.9'));
    flows.flow(flowRecord(T + 10_000 - 3600, '10.0.0.7', '203.0.113.9'));
    expect(flows.stats).toMatchObject({ flows: 3, late: 1 });
  });

  it('answers for a flagged name after its verdict extend the span and add its new addresses (serve: one flag, the name keeps rotating)', () => {
    const { flows, findings } = analysis();
    flows.verdict(flagged(), 'flag');
    flows.observe(aResponse(T + 5000, 'www.flux.example', ['185.10.10.10']));
    flows.flow(flowRecord(T + 5010, '10.0.0.7', '185.10.10.10'));
    flows.flush();
    expect(findings.exposures).toHaveLength(1);
    expect(findings.exposures[0]).toMatchObject({ domain: 'flux.example', address: '185.10.10.10' });
  });

  it('live reporting: on the first flow, again only when the totals grew and lateness passed', () => {
    const { flows, findings } = analysis('live');
    flows.verdict(flagged(), 'flag');
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX));
    expect(findings.exposures.map((e) => e.flows)).toEqual([1]);
    flows.flow(flowRecord(T + 20, '10.0.0.7', FLUX));
    expect(findings.exposures.map((e) => e.flows)).toEqual([1]);
    flows.flow(flowRecord(T + 400, '10.0.0.7', FLUX));
    expect(findings.exposures.map((e) => e.flows)).toEqual([1, 3]);
    flows.flush();
    expect(findings.exposures.map((e) => e.flows)).toEqual([1, 3]);
    flows.flow(flowRecord(T + 410, '10.0.0.7', FLUX));
    flows.flush();
    expect(findings.exposures.map((e) => e.flows)).toEqual([1, 3, 4]);
  });
});

describe('DNS bypass', () => {
  it('is claimed when the client did not look the name up within lateness before its flows, and only then', () => {
    const { flows, findings } = analysis();
    flows.observe(aResponse(T + 5, 'flux.example', [FLUX], 60, { client: '10.0.0.7' }));
    flows.observe(aResponse(T + 5, 'other.example', [FLUX2], 60, { client: '10.0.0.8' }));
    flows.observe(aResponse(T + 5, 'cdn-alias.example', [FLUX], 60, { client: '10.0.0.9' }));
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX));
    flows.flow(flowRecord(T + 10, '10.0.0.8', FLUX));
    flows.flow(flowRecord(T + 10, '10.0.0.9', FLUX));
    flows.flow(flowRecord(T + 2000, '10.0.0.10', FLUX)); // looked up, but long before
    flows.observe(aResponse(T + 100, 'flux.example', [FLUX], 60, { client: '10.0.0.10' }));
    flows.verdict(flagged({ last: T + 3000 }), 'final');
    flows.flush();
    const bypass = Object.fromEntries(findings.exposures.map((e) => [e.client, e.bypass]));
    expect(bypass).toEqual({ '10.0.0.7': false, '10.0.0.8': true, '10.0.0.9': false, '10.0.0.10': true });
    expect(flows.stats.bypasses).toBe(2);
    expect(findings.exposures.find((e) => e.client === '10.0.0.8')!.reason).toContain('(DNS bypass)');
  });

  it('a lookup of an alias whose CNAME chain leads to the flagged name counts, even when its addresses were not kept', () => {
    const { flows, findings } = analysis();
    const alias = aResponse(T + 5, 'www.shop.example', [], 60, { client: '10.0.0.7' });
    alias.answers = [rr('www.shop.example', 'CNAME', 'flux.example'), ...Array.from({ length: 12 }, (_, i) => rr('flux.example', 'A', `51.178.15.${100 + i}`))];
    flows.observe(alias);
    flows.verdict(flagged(), 'final');
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX));
    flows.flush();
    expect(findings.exposures.map((e) => [e.client, e.bypass])).toEqual([['10.0.0.7', false]]);
  });

  it('is never claimed when no DNS observation named its client', () => {
    const { flows, findings } = analysis();
    flows.observe(aResponse(T + 5, 'flux.example', [FLUX], 60));
    flows.verdict(flagged(), 'final');
    flows.flow(flowRecord(T + 10, '10.0.0.8', FLUX));
    flows.flush();
    expect(findings.exposures[0]!.bypass).toBe(false);
  });
});

describe('hostile flows', () => {
  it('drops and counts a flow without a usable time or with negative counts; the tables are untouched', () => {
    const { flows, findings } = analysis();
    flows.verdict(flagged(), 'final');
    flows.flow(flowRecord(Number.NaN, '10.0.0.7', FLUX));
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX, { end: T + 5 }));
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX, { bytes: -1 }));
    flows.flow(flowRecord(2 ** 40, '10.0.0.7', FLUX));
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX, { samplingRate: Number.POSITIVE_INFINITY }));
    flows.flush();
    expect(flows.stats).toMatchObject({ flows: 5, invalid: 4, late: 0, addresses: 1 });
    expect(findings.exposures.map((e) => [e.flows, e.bytes, e.sampled])).toEqual([[1, 1200, false]]);
  });
});

describe('joins counted once', () => {
  it('a widened span (flag, then final) joins the waiting flows and never the joined ones again', () => {
    const { flows, findings } = analysis();
    flows.verdict(flagged({ last: T + 600 }), 'flag');
    flows.flow(flowRecord(T + 10, '10.0.0.7', FLUX)); // joined at once
    flows.flow(flowRecord(T + 2000, '10.0.0.7', FLUX)); // outside the flag's span: waits
    flows.verdict(flagged({ last: T + 3000 }), 'final');
    flows.verdict(flagged({ last: T + 3000 }), 'final'); // the same again changes nothing
    flows.flush();
    expect(findings.exposures.map((e) => [e.client, e.flows, e.bytes])).toEqual([['10.0.0.7', 2, 2400]]);
  });

  it('past maxClientsPerAddress, waiting flows of the capped clients are in the address totals only (evidence), not in exposures', () => {
    const config = defaultConfig();
    config.flows.limits.maxClientsPerAddress = 8;
    const findings = keptFindings();
    const flows = createFlowAnalysis({ config, findings });
    for (let c = 0; c < 20; c++) flows.flow(flowRecord(T + 10 + c, `10.0.0.${c + 1}`, FLUX));
    flows.verdict(flagged(), 'final');
    for (let c = 0; c < 20; c++) flows.flow(flowRecord(T + 100 + c, `10.0.0.${c + 1}`, FLUX)); // after the verdict: every one joins
    flows.flush();
    expect(findings.exposures).toHaveLength(20);
    expect(findings.exposures.reduce((n, e) => n + e.flows, 0)).toBe(8 + 20);
    expect(flows.stats.unattributed).toBe(12);
    expect(flows.evidence([FLUX], T + 600)).toMatchObject({ addresses: 1, flows: 40 });
    expect(flows.evidence([FLUX], T + 600)!.clients).toBeGreaterThanOrEqual(18);
  });
});
