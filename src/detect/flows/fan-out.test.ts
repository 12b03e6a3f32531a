import { beforeAll, describe, expect, it } from 'vitest';
import { flowRecord, keptFindings } from '../../../test/helpers/flows.js';
import { bot } from '../../../test/helpers/observations.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { defaultConfig } from '../../config/schema.js';
import { loadInfra, type Infra } from '../../enrich/infra/index.js';
import { isoTime } from '../../model/verdict.js';
import { createFlowAnalysis } from './index.js';
import { sketchAdd, sketchCount } from './sketch.js';

const T = Date.UTC(2025, 3, 3, 12) / 1000;

// The shipped reference data (data/reference): real CDN ranges, as serve and analyze load them.
let infra: Infra;
beforeAll(() => {
  infra = loadInfra();
});

function analysis(customers: ((ip: string) => string | null) | null = null) {
  const findings = keptFindings();
  const flows = createFlowAnalysis({ config: defaultConfig(), infra, customers, findings });
  return { flows, findings };
}

/** The i-th address of a CDN range: Fastly 151.101.0.0/16, Cloudflare 104.16.0.0/13, Akamai 23.32.0.0/11. */
function cdn(i: number): string {
  const ranges = ['151.101', '104.16', '23.33'];
  return `${ranges[i % 3]}.${(i >> 8) & 255}.${i & 255}`;
}

describe('fan-out', () => {
  it('does not flag ordinary browsing: hundreds of CDN addresses and a few dozen others in a window', () => {
    const { flows, findings } = analysis();
    for (let i = 0; i < 900; i++) flows.flow(flowRecord(T + (i % 280), '10.0.0.7', cdn(i)));
    for (let i = 0; i < 40; i++) flows.flow(flowRecord(T + i, '10.0.0.7', bot(i)));
    // and the replies, as unidirectional exporters send them
    for (let i = 0; i < 900; i++) flows.flow(flowRecord(T + (i % 280), cdn(i), '10.0.0.7', { srcPort: 443, dstPort: 51000 + (i % 1000) }));
    flows.flush();
    expect(findings.fanOuts).toEqual([]);
  });

  it('does not flag a resolver asking many servers, nor a busy server of ours answering many clients', () => {
    const { flows, findings } = analysis();
    for (let i = 0; i < 1000; i++) flows.flow(flowRecord(T + (i % 250), '10.0.0.53', bot(i), { dstPort: 53, proto: 17 }));
    for (let i = 0; i < 1000; i++) flows.flow(flowRecord(T + (i % 250), '198.51.100.80', bot(i), { srcPort: 443, dstPort: 40000 + i }));
    flows.flush();
    expect(findings.fanOuts).toEqual([]);
  });

  it('reports a scanning host once per episode, with its numbers and the flux addresses among them', () => {
    const { flows, findings } = analysis((ip) => (ip === '10.0.0.66' ? 'acme' : null));
    const flux = flaggedVerdict('flux.example', { addresses: [bot(5), bot(6), bot(7)], firstSeen: isoTime(T - 60), lastSeen: isoTime(T + 3600) });
    flows.verdict(flux, 'flag');
    // Three windows of 300 distinct addresses each on port 23 (one episode), then a quiet window, then another scan.
    for (const w of [0, 1, 2, 4]) {
      for (let i = 0; i < 300; i++) flows.flow(flowRecord(T + w * 300 + i * 0.9, '10.0.0.66', bot(w * 300 + i), { dstPort: 23 }));
    }
    flows.flush();
    expect(findings.fanOuts).toHaveLength(2);
    const f = findings.fanOuts[0]!;
    // Some of the synthetic bots fall in real cloud ranges: not counted, like any known CDN/cloud address.
    let counted = 0;
    for (let i = 0; i < 300; i++) if (infra.providerOfAddress(bot(i)) < 0) counted++;
    expect(counted).toBeGreaterThan(250);
    expect(f).toMatchObject({ record: 'fan-out', host: '10.0.0.66', customer: 'acme', flux: 3, window: 300, flows: counted, first: isoTime(T) });
    expect(Math.abs(f.distinct - counted)).toBeLessThanOrEqual(counted * 0.05);
    expect(f.reasons[0]).toBe(`3 addresses of flagged names or flux networks among them (${bot(5)}, ${bot(6)}, ${bot(7)})`);
    expect(f.reasons[1]).toBe(`contacted about ${f.distinct} distinct external addresses in ${f.reasons[1]!.match(/in (\S+ \S+) \(/)![1]} (threshold 200 in 5 min; known CDN/cloud addresses, private space and DNS/NTP service ports not counted) in ${counted} flows`);
    expect(findings.fanOuts[1]!.first).toBe(isoTime(T + 1200));
    expect(flows.stats.fanOuts).toBe(2);
  });

  it('closes the window of a host that went quiet once the data time passed it (serve: reported without waiting for the end)', () => {
    const { flows, findings } = analysis();
    for (let i = 0; i < 250; i++) flows.flow(flowRecord(T + i, '10.0.0.66', bot(i), { dstPort: 445 }));
    flows.flow(flowRecord(T + 250 + 300 + 300 + 1, '10.0.0.9', bot(1)));
    expect(findings.fanOuts.map((f) => f.host)).toEqual(['10.0.0.66']);
  });

  it('never reports more distinct addresses than flows: 260 flows to 260 addresses the sketch estimates at 263 (REVIEW16 #10)', () => {
    const { flows, findings } = analysis();
    for (let i = 0; i < 260; i++) flows.flow(flowRecord(T + i * 0.5, '10.0.0.66', `81.${10 + (i % 5)}.${Math.floor(i / 5)}.7`, { dstPort: 22 }));
    flows.flush();
    expect(findings.fanOuts).toHaveLength(1);
    expect(findings.fanOuts[0]).toMatchObject({ distinct: 260, flows: 260 });
    expect(findings.fanOuts[0]!.reasons.at(-1)).toMatch(/^contacted about 260 distinct external addresses/);
  });

  it('counts 0 when the threshold is 0 (off)', () => {
    const config = defaultConfig();
    config.flows.fanOut.distinct = 0;
    const findings = keptFindings();
    const flows = createFlowAnalysis({ config, infra, findings });
    for (let i = 0; i < 500; i++) flows.flow(flowRecord(T + i * 0.1, '10.0.0.66', bot(i), { dstPort: 23 }));
    flows.flush();
    expect(findings.fanOuts).toEqual([]);
  });
});

describe('distinct-address sketch', () => {
  it.each([10, 200, 1000, 3000])('estimates %i distinct addresses within 5 per cent in 1,024 bits', (n) => {
    const sketch = new Uint32Array(32);
    for (let i = 0; i < n; i++) {
      sketchAdd(sketch, `45.${(i >> 8) & 255}.${i & 255}.7`);
      sketchAdd(sketch, `45.${(i >> 8) & 255}.${i & 255}.7`); // a repeat changes nothing
    }
    expect(Math.abs(sketchCount(sketch) - n)).toBeLessThanOrEqual(Math.max(1, n * 0.05));
  });
});
