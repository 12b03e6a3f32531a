/**
 * tshark as an independent reader of the corpus's pcap writer: with every
 * checksum checked it reports no warning or error (malformed packets, bad
 * checksums, TCP trouble), and each DNS response it dissects carries the
 * question and the addresses, names and TTLs the generator answered, over
 * UDP and over TCP.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleSpec } from '../../scripts/example.js';
import { generateCorpus } from '../../src/corpus/generate.js';
import { PcapWriter } from '../../src/corpus/writers/pcap.js';
import { copyObservation, SinkWriter } from '../../src/corpus/writers/sink-writer.js';
import { TextOutput } from '../../src/corpus/writers/writer.js';
import type { DnsObservation } from '../../src/model/observation.js';
import { findBinary } from '../support/binaries.js';

const tshark = findBinary('tshark', 'tshark');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-corpus-tshark-'));
const generated: DnsObservation[] = [];
const CHECKSUMS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];

beforeAll(async () => {
  const spec = exampleSpec();
  spec.traffic.records = 1500;
  await generateCorpus(spec, [
    new SinkWriter({ observe: (o) => generated.push(copyObservation(o)), skip: () => {} }),
    new PcapWriter(TextOutput.toFile(join(dir, 'udp.pcap')), { seed: spec.seed }),
    new PcapWriter(TextOutput.toFile(join(dir, 'tcp.pcap')), { seed: spec.seed, udpSize: 12 }),
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): string {
  return execFileSync(tshark.path!, ['-n', ...CHECKSUMS, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
}

describe.skipIf(tshark.missing !== null)('tshark reads the corpus pcap', () => {
  it.each(['udp.pcap', 'tcp.pcap'])('%s: no warning or error in the expert info', (file) => {
    const expert = run(['-r', join(dir, file), '-q', '-z', 'expert']);
    expect(expert).not.toMatch(/^(Errors|Warnings) \(/m);
    expect(run(['-r', join(dir, file), '-Y', '_ws.malformed || _ws.expert.severity >= 6291456', '-T', 'fields', '-e', 'frame.number'])).toBe('');
  });

  it.each(['udp.pcap', 'tcp.pcap'])('%s: every response as generated', (file) => {
    const fields = ['dns.qry.name', 'dns.qry.type', 'dns.count.answers', 'dns.resp.ttl', 'dns.a', 'dns.aaaa', 'dns.cname', 'dns.ns'];
    const out = run(['-r', join(dir, file), '-Y', 'dns.flags.response == 1', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])]);
    const rows = out.split('\n').filter((line) => line !== '');
    expect(rows).toHaveLength(generated.length);
    rows.forEach((row, i) => {
      const [qname, qtype, answers, ttls, a, aaaa, cname, ns] = row.split('|');
      const o = generated[i]!;
      const all = [...o.answers, ...o.authority, ...o.additional];
      const data = (type: string) => all.filter((r) => r.type === type).map((r) => r.data).join(',');
      expect({ qname, qtype: Number(qtype), answers: Number(answers), ttls: ttls === '' ? [] : ttls!.split(',').map(Number), a, aaaa, cname, ns }).toEqual({
        qname: o.qname,
        qtype: o.qtype === 'A' ? 1 : 28,
        answers: o.answers.length,
        ttls: all.map((r) => r.ttl),
        a: data('A'),
        aaaa: data('AAAA'),
        cname: data('CNAME'),
        ns: data('NS'),
      });
    });
  });
});
