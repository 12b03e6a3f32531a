/**
 * The pcap and dnstap writers, read back by the real sources (src/sources
 * pcap and dnstap): every generated exchange comes out as the observation it
 * was, over UDP and TCP, IPv4 and IPv6, with no record skipped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleSpec } from '../../../scripts/example.js';
import type { DnsObservation } from '../../model/observation.js';
import { emptyObservation } from '../../model/observation.js';
import { decode, observationsOf, skipsOf } from '../../sources/conformance.case.js';
import { dnstapFormat } from '../../sources/dnstap/index.js';
import { pcapFormat } from '../../sources/pcap/index.js';
import type { SourceFormat } from '../../sources/source.js';
import { generateCorpus } from '../generate.js';
import { DnstapWriter } from './dnstap.js';
import { PcapWriter } from './pcap.js';
import { copyObservation, SinkWriter } from './sink-writer.js';
import type { CorpusWriter } from './writer.js';
import { TextOutput } from './writer.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-corpus-binary-'));
const spec = exampleSpec();
const generated: DnsObservation[] = [];

const read = (format: SourceFormat, file: string) => decode(format, [readFileSync(join(dir, file))], file);

/** The observation as a source gives it: times to the microsecond both formats keep. */
function comparable(o: DnsObservation): DnsObservation {
  const ts = Math.round(o.ts * 1e6) / 1e6;
  return { ...copyObservation(o), ts, firstSeen: ts };
}

async function writeAll(writers: CorpusWriter[], observations: readonly DnsObservation[]): Promise<void> {
  for (const w of writers) w.open(observations[0]?.ts ?? 0);
  for (const o of observations) for (const w of writers) w.write(o);
  for (const w of writers) await w.close(observations.at(-1)?.ts ?? 0);
}

beforeAll(async () => {
  const collect = { observe: (o: DnsObservation) => generated.push(copyObservation(o)), skip: () => {} };
  await generateCorpus(spec, [
    new SinkWriter(collect),
    new PcapWriter(TextOutput.toFile(join(dir, 'corpus.pcap')), { seed: spec.seed }),
    new DnstapWriter(TextOutput.toFile(join(dir, 'corpus.fstrm')), { seed: spec.seed }),
    // Every response over TCP: the pcap source reassembles each stream.
    new PcapWriter(TextOutput.toFile(join(dir, 'tcp.pcap')), { seed: spec.seed, udpSize: 12 }),
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['pcap over UDP', pcapFormat, 'corpus.pcap'],
  ['pcap over TCP', pcapFormat, 'tcp.pcap'],
  ['dnstap', dnstapFormat, 'corpus.fstrm'],
] as const)('%s, read by the source', (_name, format, file) => {
  it('gives back every exchange as it was generated, none skipped', () => {
    const outcomes = read(format, file);
    expect(skipsOf(outcomes)).toEqual([]);
    const observed = observationsOf(outcomes);
    expect(observed.length).toBe(spec.traffic.records);
    expect(observed.map(comparable)).toEqual(generated.map(comparable));
  });

  it('is sniffed as its format', () => {
    expect(format.sniff(readFileSync(join(dir, file)).subarray(0, 4096))).toBe(true);
  });
});

describe('the binary writers on hand-made exchanges', () => {
  const rr = (name: string, type: string, data: string, ttl = 60) => ({ name, type, data, ttl });
  const exchange = (ts: number, client: string, qname: string, qtype: string, answers: DnsObservation['answers']): DnsObservation => ({
    ...emptyObservation(ts, qname, qtype),
    rcode: answers.length === 0 ? 'NXDOMAIN' : 'NOERROR',
    client,
    answers,
  });
  const observations: DnsObservation[] = [
    exchange(1_743_638_400.25, '2001:db8::7', 'v6.flux-example.ru', 'AAAA', [rr('v6.flux-example.ru', 'AAAA', '2a02:8108:1:2::3', 0)]),
    exchange(1_743_638_401.5, '10.1.2.3', 'gone.example.com', 'A', []),
    {
      ...exchange(1_743_638_402, '10.1.2.4', 'mail.example.org', 'MX', [rr('mail.example.org', 'MX', 'mx1.example.org')]),
      authority: [rr('example.org', 'SOA', 'ns1.example.org hostmaster.example.org 2025040301 7200 3600 1209600 300')],
      additional: [rr('mx1.example.org', 'TXT', 'v=spf1 -all'), rr('mx1.example.org', 'A', '192.0.2.25')],
    },
    // Many records: over the 1232-byte UDP size, so over TCP in several segments.
    exchange(1_743_638_403, '2001:db8::8', 'big.example.net', 'A', Array.from({ length: 200 }, (_, i) => rr('big.example.net', 'A', `198.51.${i >> 8}.${i & 255}`))),
  ];

  it.each([
    ['pcap', pcapFormat, (out: TextOutput) => new PcapWriter(out, { seed: 1 })],
    ['dnstap', dnstapFormat, (out: TextOutput) => new DnstapWriter(out, { seed: 1 })],
  ] as const)('%s: IPv6 clients, NXDOMAIN, MX/SOA/TXT, a response over TCP', async (name, format, make) => {
    await writeAll([make(TextOutput.toFile(join(dir, `hand.${name}`)))], observations);
    const outcomes = read(format, `hand.${name}`);
    expect(skipsOf(outcomes)).toEqual([]);
    expect(observationsOf(outcomes).map(comparable)).toEqual(observations.map(comparable));
  });

  it('pcap: an exchange without a response is a query alone, reported as unanswered', async () => {
    const unanswered = { ...exchange(1_743_638_500, '10.9.9.9', 'lost.example.com', 'A', []), rcode: null };
    await writeAll([new PcapWriter(TextOutput.toFile(join(dir, 'lost.pcap')), { seed: 1 })], [unanswered]);
    const observed = observationsOf(read(pcapFormat, 'lost.pcap'));
    expect(observed).toHaveLength(1);
    expect(observed[0]).toMatchObject({ qname: 'lost.example.com', qtype: 'A', rcode: null, client: '10.9.9.9', answers: [] });
    expect(observed[0]!.ts).toBeLessThan(unanswered.ts);
  });

  it.each([
    ['pcap', pcapFormat, (out: TextOutput) => new PcapWriter(out, { seed: 1 })],
    ['dnstap', dnstapFormat, (out: TextOutput) => new DnstapWriter(out, { seed: 1 })],
  ] as const)('%s: a late second response (injected first, real after) is a second observation of the same query', async (name, format, make) => {
    const injected = {
      ...exchange(1_743_638_600, '10.7.7.7', 'news.example.org', 'A', [rr('news.example.org', 'A', '31.13.64.7', 300)]),
      late: [rr('news.example.org', 'A', '192.0.2.80', 3600)],
    };
    await writeAll([make(TextOutput.toFile(join(dir, `late.${name}`)))], [injected]);
    const outcomes = read(format, `late.${name}`);
    expect(skipsOf(outcomes)).toEqual([]);
    const [first, second, more] = observationsOf(outcomes);
    expect(more).toBeUndefined();
    expect(first).toMatchObject({ qname: 'news.example.org', client: '10.7.7.7', answers: [{ data: '31.13.64.7', ttl: 300 }] });
    expect(second).toMatchObject({ qname: 'news.example.org', client: '10.7.7.7', rcode: 'NOERROR', answers: [{ data: '192.0.2.80', ttl: 3600 }], authority: [] });
    expect(second!.ts - first!.ts).toBeGreaterThan(0.0009);
    expect(second!.ts - first!.ts).toBeLessThan(0.021);
  });

  it('the same seed gives the same bytes', async () => {
    await writeAll([new PcapWriter(TextOutput.toFile(join(dir, 'again.pcap')), { seed: 1 })], observations);
    await writeAll([new PcapWriter(TextOutput.toFile(join(dir, 'again2.pcap')), { seed: 1 })], observations);
    expect(readFileSync(join(dir, 'again.pcap')).equals(readFileSync(join(dir, 'again2.pcap')))).toBe(true);
  });
});
