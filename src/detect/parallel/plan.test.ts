import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sourceFormats } from '../../sources/registry.js';
import { parallelPlan } from './plan.js';
import { LINKTYPE_ETHERNET } from '../../sources/pcap/packet.js';
import { ethernetUdp, fluxResponse, TO_CLIENT } from '../../sources/pcap/samples.case.js';
import { pcapFile, udpFrame } from '../../../test/support/pcap-synth.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DNS = join(ROOT, 'examples', 'example.dns.log');
const CONN = join(ROOT, 'examples', 'example.conn.log');
const base = { workers: 4, minBytes: 0, intel: false };

describe('parallelPlan', () => {
  it('partitions a DNS-only input as asked', async () => {
    expect(await parallelPlan([DNS], 'auto', sourceFormats, base)).toEqual({ partitions: 4, reason: null });
  });

  it.each([
    ['one worker asked', [DNS], { ...base, workers: 1 }, null],
    ['a conn.log (flows)', [DNS, CONN], base, /example\.conn\.log \(zeek-conn\) may hold flows/],
    ['intel feeds', [DNS], { ...base, intel: true }, /intel feeds/],
    ['stdin', ['-'], base, /stdin/],
    ['a small input', [DNS], { ...base, minBytes: 1 << 30 }, /input under 1024 MiB/],
  ])('stays on one thread for %s', async (_what, files, options, reason) => {
    const plan = await parallelPlan(files, 'auto', sourceFormats, options);
    expect(plan.partitions).toBe(1);
    if (reason === null) expect(plan.reason).toBeNull();
    else expect(plan.reason).toMatch(reason);
  });

  it('partitions a capture of DNS alone, and keeps one thread for one carrying NetFlow export traffic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-plan-'));
    const dns = Array.from({ length: 100 }, (_, i) => ({ ts: 1743638400 + i, bytes: ethernetUdp(TO_CLIENT, fluxResponse(i)) }));
    const exporter = { src: '192.0.2.1', dst: '198.51.100.9', srcPort: 50000, dstPort: 2055 };
    const netflow = readFileSync(join(ROOT, 'test', 'fixtures', 'flows', 'netflow5_test_microtik.dat'));
    const alone = join(dir, 'dns.pcap');
    const both = join(dir, 'dns-and-exports.pcap');
    writeFileSync(alone, pcapFile(dns));
    writeFileSync(both, pcapFile([...dns, { ts: 1743638500, bytes: udpFrame(LINKTYPE_ETHERNET, exporter, netflow) }]));
    expect(await parallelPlan([alone], 'auto', sourceFormats, base)).toEqual({ partitions: 4, reason: null });
    expect((await parallelPlan([alone, both], 'auto', sourceFormats, base)).reason).toMatch(/dns-and-exports\.pcap \(pcap\) may hold flows/);
  });

  it('stays on one thread for gzip-compressed input', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fluxhound-plan-')), 'dns.log.gz');
    writeFileSync(file, gzipSync(readFileSync(DNS)));
    expect((await parallelPlan([file], 'auto', sourceFormats, base)).reason).toMatch(/compressed/);
  });
});
