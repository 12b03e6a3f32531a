import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { emptyFeatures } from '../../detect/features/index.js';
import type { Verdict } from '../../model/verdict.js';
import { exposure, fanOut } from './flow-findings.case.js';
import { ndjsonSink } from './ndjson.js';

const verdict: Verdict = {
  domain: 'my.flux.example',
  registered_domain: 'flux.example',
  scope: 'name',
  verdict: 'fast-flux',
  flux: 'single',
  score: 100,
  reasons: [],
  features: emptyFeatures(),
  contributions: [],
  first_seen: '',
  last_seen: '',
  first_flagged: null,
  lookups_to_flag: null,
  enrichment: [],
  network: null,
  evidence: { addresses: [], name_servers: [], ns_addresses: [] },
};

async function written(feed: (sink: ReturnType<typeof ndjsonSink>) => void): Promise<string[]> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => (text += b.toString()));
  const sink = ndjsonSink(out);
  feed(sink);
  await sink.close();
  return text.split('\n').filter(Boolean);
}

describe('NDJSON report', () => {
  it('writes exposures and fan-out as records of their own, in the order they came, after the verdict', async () => {
    const lines = await written((sink) => {
      sink.verdict(verdict);
      sink.exposure!(exposure());
      sink.exposure!(exposure({ client: '10.1.0.9', bypass: true }));
      sink.fanOut!(fanOut());
    });
    expect(lines.map((l) => (JSON.parse(l) as { record?: string }).record ?? 'verdict')).toEqual(['verdict', 'exposure', 'exposure', 'fan-out']);
    expect(lines[1]!.startsWith('{"record":"exposure","client":"10.1.0.7"')).toBe(true);
    expect(JSON.parse(lines[2]!)).toEqual(exposure({ client: '10.1.0.9', bypass: true }));
    expect(lines[3]!.startsWith('{"record":"fan-out","host":"10.1.0.66"')).toBe(true);
  });

  it('puts record first even when the object was built in another order', async () => {
    const { record, ...rest } = exposure();
    const lines = await written((sink) => sink.exposure!({ ...rest, record }));
    expect(lines[0]!.startsWith('{"record":"exposure",')).toBe(true);
  });

  it('writes an exposure domain in the one escaping rule', async () => {
    const evil = 'x\u001b[2J"\n.flux.example';
    const lines = await written((sink) => sink.exposure!(exposure({ domain: evil })));
    expect((JSON.parse(lines[0]!) as { domain: string }).domain).toBe('x\\027[2J\\034\\010.flux.example');
    expect(lines).toHaveLength(1);
  });
});
