import { mkdtempSync, writeFileSync } from 'node:fs';
import { fixture } from './fixtures.case.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DnsObservation, SkippedRecord } from '../model/observation.js';
import { flowFreeFrom, holdsFlows, InputError, readInputs } from './input.js';
import { textFormats } from './index.js';
import { sourceFormats } from './registry.js';
import { pcapFormat } from './pcap/index.js';
import { LINKTYPE_ETHERNET } from './pcap/packet.js';
import { ethernetUdp, fluxResponse, TO_CLIENT } from './pcap/samples.case.js';
import { pcapFile, pcapngFile, udpFrame } from '../../test/support/pcap-synth.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-input-'));
function file(name: string, content: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function collector() {
  const observed: DnsObservation[] = [];
  const skipped: SkippedRecord[] = [];
  return { observed, skipped, sink: { observe: (o: DnsObservation) => observed.push(o), skip: (s: SkippedRecord) => skipped.push(s) } };
}

async function read(files: string[], format = 'auto') {
  const out = collector();
  const summaries = await readInputs(files, { format, sink: out.sink, formats: textFormats });
  return { ...out, summaries };
}

/** A Zeek log big enough to span many chunks and gzip blocks. */
const bigZeek = (() => {
  const text = fixture('zeek/dns.log').toString();
  const header = text.slice(0, text.indexOf('\n1573665066'));
  const record = text.split('\n')[8]!;
  const lines = Array.from({ length: 20_000 }, (_, i) => record.replace('1573665066.806735', `${1573665066 + i}.5`));
  return Buffer.from(`${header}\n${lines.join('\n')}\n`);
})();

describe('readInputs', () => {
  it('sniffs each file and reads them one after another', async () => {
    const zeek = file('dns.log', fixture('zeek/dns.log'));
    const eve = file('eve.json', fixture('eve/bug-1158.v3.json'));
    const { observed, skipped, summaries } = await read([zeek, eve]);
    expect(summaries.map((s) => [s.format, s.observations, s.skipped, s.compressed])).toEqual([
      ['zeek', 17, 2, false],
      ['eve', 4, 0, false],
    ]);
    expect(observed).toHaveLength(21);
    expect(skipped.map((s) => s.position)).toEqual([
      { file: zeek, line: 33 },
      { file: zeek, line: 35 },
    ]);
  });

  it('decompresses gzip by its magic bytes, whatever the name', async () => {
    const plain = await read([file('plain.log', bigZeek)]);
    const gz = await read([file('looks-plain.log', gzipSync(bigZeek))]);
    expect(gz.summaries[0]).toMatchObject({ format: 'zeek', compressed: true, decodedBytes: bigZeek.length, observations: 20_000 });
    expect(gz.observed).toEqual(plain.observed);
  });

  it('keeps what a truncated gzip held, reports it once, and goes on to the next file', async () => {
    const compressed = gzipSync(bigZeek);
    const truncated = file('cut.log.gz', compressed.subarray(0, Math.floor(compressed.length / 2)));
    const next = file('next.json', fixture('eve/bug-1158.v3.json'));
    const { observed, skipped, summaries } = await read([truncated, next]);
    const damage = skipped.filter((s) => s.reason === 'truncated gzip');
    expect(damage).toHaveLength(1);
    expect(damage[0]!.position.file).toBe(truncated);
    expect(summaries[0]!.observations).toBeGreaterThan(5_000);
    // Every record before the damage is kept, in order.
    expect(observed.slice(0, summaries[0]!.observations).map((o) => o.ts)).toEqual(
      Array.from({ length: summaries[0]!.observations }, (_, i) => 1573665066 + i + 0.5),
    );
    expect(damage[0]!.position.line).toBeGreaterThanOrEqual(summaries[0]!.observations + 8);
    expect(summaries[1]).toMatchObject({ format: 'eve', observations: 4 });
  });

  it('reports a corrupt gzip with zlib’s reason', async () => {
    const compressed = Buffer.from(gzipSync(bigZeek));
    compressed.fill(0x55, 2000, 2100);
    const { skipped } = await read([file('corrupt.gz', compressed)]);
    expect(skipped.at(-1)!.reason).toMatch(/^corrupt gzip: /);
  });

  it('fails before reading anything when any file is missing or a directory', async () => {
    const good = file('good.log', fixture('zeek/dns.log'));
    const out = collector();
    await expect(readInputs([good, join(dir, 'nope.log')], { format: 'auto', sink: out.sink, formats: textFormats })).rejects.toThrow(
      new InputError(`fluxhound: cannot read ${join(dir, 'nope.log')}: no such file`),
    );
    expect(out.observed).toEqual([]);
    await expect(read([dir])).rejects.toThrow(`fluxhound: cannot read ${dir}: is a directory`);
  });

  it('fails on an input no format recognises, naming the formats tried', async () => {
    const unknown = file('x.bin', Buffer.from([0, 1, 2, 3, 255, 10]));
    await expect(read([unknown])).rejects.toThrow(
      `fluxhound: ${unknown}: unknown input format (tried zeek, zeek-json, eve, pdns); use --format`,
    );
  });

  it('uses a named format without sniffing, and rejects an unknown name', async () => {
    const headerless = file('headerless.log', fixture('zeek/dns.log').toString().split('\n').slice(8, 10).join('\n'));
    const { summaries } = await read([headerless], 'zeek');
    expect(summaries[0]).toMatchObject({ format: 'zeek', observations: 2 });
    await expect(read([headerless], 'bogus')).rejects.toBeInstanceOf(InputError);
  });

  it('reads an empty file as no records', async () => {
    const { observed, skipped, summaries } = await read([file('empty.log', '')]);
    expect([observed, skipped]).toEqual([[], []]);
    expect(summaries[0]).toMatchObject({ format: null, bytes: 0, observations: 0 });
  });

  it('names each input\'s format before its first record (onFormat)', async () => {
    const a = file('format-a.log', fixture('zeek/dns.log'));
    const b = file('format-b.log', fixture('zeek/dns.log'));
    const events: string[] = [];
    const sink = { observe: () => events.push('record'), skip: () => undefined };
    await readInputs([a, b], { format: 'auto', sink, formats: textFormats, onFormat: (format, index, name) => events.push(`${index} ${format.name} ${name === a ? 'a' : 'b'}`) });
    const second = events.indexOf('1 zeek b');
    expect(events[0]).toBe('0 zeek a');
    expect(second).toBeGreaterThan(1);
    expect(events.filter((e) => e !== 'record')).toEqual(['0 zeek a', '1 zeek b']);
    expect(events.slice(1, second).every((e) => e === 'record')).toBe(true);
  });

  it('declares which formats never carry flows: the DNS-only ones (analyze then keeps no DNS memory for flows)', () => {
    const flowless = sourceFormats.filter((f) => f.flows === false).map((f) => f.name);
    expect(flowless.sort()).toEqual(['dnstap', 'pdns', 'zeek', 'zeek-json']);
  });

  it('reports progress over all inputs', async () => {
    const a = file('a.log', bigZeek);
    const b = file('b.json', fixture('pdns/cof.json'));
    const calls: [number, number | null][] = [];
    const out = collector();
    await readInputs([a, b], { format: 'auto', sink: out.sink, formats: textFormats, onProgress: (read, total) => calls.push([read, total]) });
    const total = bigZeek.length + fixture('pdns/cof.json').length;
    expect(calls.at(-1)).toEqual([total, total]);
    expect(calls.every(([read], i) => i === 0 || read >= calls[i - 1]![0])).toBe(true);
  });
});

describe('impossible times (issue 12, defect 14)', () => {
  it('skips and counts a record whose time is not between 1987 and 2106, with its position, whatever the format', async () => {
    const text = fixture('zeek/dns.log').toString().replace('1573665066.806735', '0.806735');
    const zeek = file('epoch.log', text);
    const line = text.split('\n').findIndex((l) => l.startsWith('0.806735')) + 1;
    // In range for pcapng's if_tsoffset check, but it puts the packet in 1970.
    const capture = file('offset.pcapng', pcapngFile([{ ts: 100, bytes: ethernetUdp(TO_CLIENT, fluxResponse()) }], { linkType: LINKTYPE_ETHERNET, tsoffset: -1_000_000 }));
    const out = collector();
    const summaries = await readInputs([zeek, capture], { format: 'auto', sink: out.sink, formats: [pcapFormat, ...textFormats] });
    expect(out.skipped.filter((s) => s.reason.startsWith('timestamp')).map((s) => [s.position, s.format, s.reason])).toEqual([
      [{ file: zeek, line }, 'zeek', 'timestamp 0.806735 is not a time between 1987 and 2106'],
      [{ file: capture, line: 1 }, 'pcap', 'timestamp 100 is not a time between 1987 and 2106'],
    ]);
    expect(summaries.map((s) => s.observations)).toEqual([16, 0]);
    expect(out.observed.every((o) => o.ts >= 536457600 && o.ts < 2 ** 32)).toBe(true);
  });
});


describe('holdsFlows: whether an input holds flow records, found before it is read (analyze then keeps no DNS memory for flows)', () => {
  const scan = { format: 'auto', formats: sourceFormats };
  const dns = Array.from({ length: 2_000 }, (_, i) => ({ ts: 1743638400 + i, bytes: ethernetUdp(TO_CLIENT, fluxResponse(i & 0xffff)) }));
  // A real NetFlow v5 export datagram (test/fixtures/flows/PROVENANCE.md) sent to a collector port, captured beside the DNS.
  const exporter = { src: '192.0.2.1', dst: '198.51.100.9', srcPort: 50000, dstPort: 2055 };
  const exported = { ts: 1743640400, bytes: udpFrame(LINKTYPE_ETHERNET, exporter, fixture('flows/netflow5_test_microtik.dat')) };
  const dnsOnly = file('dns-only.pcap', pcapFile(dns));
  const withExport = file('with-export.pcap', pcapFile([...dns, exported]));
  const zeek = file('scan-dns.log', fixture('zeek/dns.log'));
  const conn = file('scan-conn.log', fixture('flows/zeek-conn.log'));

  it('scans a capture for export datagrams (to its end when it has none), gzip too', async () => {
    expect(await holdsFlows(dnsOnly, scan)).toBe(false);
    expect(await holdsFlows(withExport, scan)).toBe(true);
    expect(await holdsFlows(file('with-export.pcap.gz', gzipSync(pcapFile([exported, ...dns]))), scan)).toBe(true);
    expect(await holdsFlows(withExport, { format: 'pcap', formats: sourceFormats })).toBe(true);
  });

  it('scans a capture of several reads in its two recycled buffers: an export datagram after them, or cut across them, is found', async () => {
    // ~40k responses: several 1 MiB reads, so the scan's buffers take turns many times and records are cut between them.
    const many = Array.from({ length: 40_000 }, (_, i) => ({ ts: 1743638400 + i, bytes: ethernetUdp(TO_CLIENT, fluxResponse(i & 0xffff)) }));
    const big = pcapFile(many);
    expect(big.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(await holdsFlows(file('big-dns.pcap', big), scan)).toBe(false);
    expect(await holdsFlows(file('big-export-last.pcap', pcapFile([...many, exported])), scan)).toBe(true);
    expect(await holdsFlows(file('big-export-last.pcap.gz', gzipSync(pcapFile([...many, exported]))), scan)).toBe(true);
    expect(await holdsFlows(file('big-dns.pcap.gz', gzipSync(big)), scan)).toBe(false);
    // The real read of the same file afterwards (fresh buffers) still sees every record.
    const out = collector();
    await readInputs([file('big-dns-read.pcap', big)], { format: 'auto', sink: out.sink, formats: sourceFormats });
    expect(out.observed).toHaveLength(40_000);
  });

  it('knows a DNS-only format by its name; anything it cannot scan may hold flows', async () => {
    expect(await holdsFlows(zeek, scan)).toBe(false);
    expect(await holdsFlows(conn, scan)).toBe(true);
    expect(await holdsFlows(file('scan.nf5', fixture('flows/netflow5.dat')), { format: 'netflow', formats: sourceFormats })).toBe(true);
    // Stdin is read once, by the real read; an input that fails is reported by it.
    expect(await holdsFlows('-', scan)).toBe(true);
    expect(await holdsFlows(file('scan-unknown.bin', Buffer.from([0, 1, 2, 3, 255, 10])), scan)).toBe(true);
  });

  it('finds the input from which on none holds flows, asking from the last back', async () => {
    expect(await flowFreeFrom([dnsOnly], scan)).toBe(0);
    expect(await flowFreeFrom([withExport, dnsOnly, zeek], scan)).toBe(1);
    expect(await flowFreeFrom([dnsOnly, withExport], scan)).toBe(2);
    expect(await flowFreeFrom([conn, zeek], scan)).toBe(1);
    expect(await flowFreeFrom([zeek, conn], scan)).toBe(2);
  });
});
