/**
 * Real captures of real lookups: Unbound answers from local data and an
 * auth-zone (a name with several A records, an AAAA, a delegation with NS in
 * authority and glue in additional), dig and kdig ask over UDP and TCP, and
 * tcpdump (loopback Ethernet, `-i any` Linux cooked v2, nanosecond pcap) and
 * dumpcap (pcapng) record it. fluxhound's pcap decoder must give every
 * response with the records dig and kdig printed, section for section, and
 * `fluxhound analyze --json --all` must report the names.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsObservation, ResourceRecord } from '../../src/model/observation.js';
import { decode, observationsOf, skipsOf } from '../../src/sources/conformance.case.js';
import { CaptureReader } from '../../src/sources/pcap/capture.js';
import { createPcapFormat } from '../../src/sources/pcap/index.js';
import { unboundServerLines } from '../../bench/unbound-config.js';
import { findBinary } from '../support/binaries.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

const unbound = findBinary('unbound', 'unbound');
const tcpdump = findBinary('tcpdump', 'tcpdump');
const dumpcap = findBinary('dumpcap', 'tshark');
const dig = findBinary('dig', 'bind9-dnsutils');
const kdig = findBinary('kdig', 'knot-dnsutils');
const missing = [unbound, tcpdump, dumpcap, dig, kdig].find((b) => b.missing !== null)?.missing ?? null;

const ZONE = `$ORIGIN flux.test.
$TTL 300
@ IN SOA ns1.flux.test. hostmaster.flux.test. 1 3600 600 86400 60
@ IN NS ns1.flux.test.
ns1 IN A 192.0.2.1
www 30 IN A 11.0.113.1
www 30 IN A 11.0.113.2
www 30 IN A 11.0.113.3
www 30 IN A 11.0.113.4
v6 IN AAAA 2001:db8::15
sub IN NS ns1.sub.flux.test.
sub IN NS ns2.sub.flux.test.
ns1.sub IN A 198.51.100.7
ns2.sub IN A 198.51.100.8
`;

function unboundConfig(dir: string, port: number): string {
  return [
    ...unboundServerLines(dir, port),
    '  num-threads: 1',
    '  module-config: "iterator"',
    '  local-zone: "test." nodefault',
    '  local-zone: "local.test." static',
    ...Array.from({ length: 8 }, (_, i) => `  local-data: "many.local.test. 60 IN A 11.0.2.${20 + i}"`),
    'remote-control:',
    '  control-enable: no',
    'auth-zone:',
    '  name: "flux.test."',
    `  zonefile: "${join(dir, 'flux.test.zone')}"`,
    '  for-downstream: yes',
    '  for-upstream: no',
    '  fallback-enabled: no',
    '',
  ].join('\n');
}

interface Lookup {
  tool: 'dig' | 'kdig';
  tcp: boolean;
  name: string;
  type: string;
}

const LOOKUPS: Lookup[] = [
  { tool: 'dig', tcp: false, name: 'many.local.test', type: 'A' },
  { tool: 'dig', tcp: true, name: 'www.flux.test', type: 'A' },
  { tool: 'kdig', tcp: false, name: 'v6.flux.test', type: 'AAAA' },
  { tool: 'kdig', tcp: true, name: 'www.sub.flux.test', type: 'A' },
  { tool: 'dig', tcp: false, name: 'nothing.flux.test', type: 'A' },
];

type Sections = Record<'answers' | 'authority' | 'additional', ResourceRecord[]>;

/** The records dig or kdig printed, per section, in fluxhound's forms. */
function printedSections(output: string): Sections {
  const sections: Sections = { answers: [], authority: [], additional: [] };
  let current: ResourceRecord[] | null = null;
  for (const line of output.split('\n')) {
    if (line.startsWith(';; ANSWER SECTION')) current = sections.answers;
    else if (line.startsWith(';; AUTHORITY SECTION')) current = sections.authority;
    else if (line.startsWith(';; ADDITIONAL SECTION')) current = sections.additional;
    else if (line.startsWith(';') || line.trim() === '') {
      if (line.trim() === '') current = null;
    } else if (current !== null) {
      const [name, ttl, , type, ...data] = line.trim().split(/\s+/);
      const text = data.join(' ');
      current.push({ name: name!.replace(/\.$/, '').toLowerCase(), type: type!, ttl: Number(ttl), data: type === 'SOA' ? text.replace(/\. /g, ' ') : text.replace(/\.$/, '').toLowerCase() });
    }
  }
  return sections;
}

function ask(lookup: Lookup, port: number): string {
  const options = lookup.tool === 'dig' ? ['+time=5', '+tries=1'] : ['+timeout=5', '+retry=0'];
  if (lookup.tcp) options.push('+tcp');
  const binary = lookup.tool === 'dig' ? dig.path! : kdig.path!;
  return execFileSync(binary, [...options, '@127.0.0.1', '-p', String(port), lookup.name, lookup.type], { encoding: 'utf8' });
}

/** The capture with the resolver's port rewritten to 53: the CLI reads DNS on port 53 only. */
function onPort53(bytes: Buffer, port: number): Buffer {
  const copy = Buffer.from(bytes);
  const reader = new CaptureReader({
    packet(linkType, _ts, data, start) {
      const ipStart = start + (linkType === 1 ? 14 : linkType === 276 ? 20 : linkType === 113 ? 16 : 4);
      const version = data[ipStart]! >>> 4;
      const transport = version === 4 ? ipStart + (data[ipStart]! & 15) * 4 : ipStart + 40;
      for (const at of [transport, transport + 2]) if (copy.readUInt16BE(at) === port) copy.writeUInt16BE(53, at);
    },
    badPacket() {},
    damage() {},
  });
  // One chunk: the reader hands out offsets into it, which are offsets into the file.
  reader.push(copy);
  reader.end();
  return copy;
}

interface Capture {
  name: string;
  binary: () => string;
  args: (file: string, filter: string) => string[];
  file: string;
  linkType: number;
}

const CAPTURES: Capture[] = [
  { name: 'tcpdump -i lo (pcap, Ethernet)', binary: () => tcpdump.path!, args: (f, filter) => ['-i', 'lo', '-n', '-U', '-w', f, filter], file: 'lo.pcap', linkType: 1 },
  { name: 'tcpdump -i any (pcap, Linux cooked v2)', binary: () => tcpdump.path!, args: (f, filter) => ['-i', 'any', '-n', '-U', '-w', f, filter], file: 'any.pcap', linkType: 276 },
  { name: 'tcpdump nanosecond timestamps', binary: () => tcpdump.path!, args: (f, filter) => ['-i', 'lo', '-n', '-U', '--time-stamp-precision=nano', '-w', f, filter], file: 'nano.pcap', linkType: 1 },
  { name: 'dumpcap -i lo (pcapng)', binary: () => dumpcap.path!, args: (f, filter) => ['-i', 'lo', '-f', filter, '-w', f], file: 'lo.pcapng', linkType: 1 },
];

describe.skipIf(missing !== null)(`captures of real lookups${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  let dir = '';
  let port = 0;
  let resolver: Daemon | null = null;
  const capturers: Daemon[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-pcap-'));
    port = await freePort();
    writeFileSync(join(dir, 'flux.test.zone'), ZONE);
    writeFileSync(join(dir, 'unbound.conf'), unboundConfig(dir, port));
    resolver = startDaemon(unbound.path!, ['-d', '-c', join(dir, 'unbound.conf')]);
    await waitFor('Unbound to answer', () => {
      const r = spawnSync(dig.path!, ['+short', '+time=1', '+tries=1', '@127.0.0.1', '-p', String(port), 'www.flux.test', 'A'], { encoding: 'utf8' });
      return r.stdout.includes('11.0.113.1');
    }, 30_000);
  }, 60_000);

  afterAll(async () => {
    for (const capturer of capturers) await capturer.stop();
    await resolver?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it.each(CAPTURES)('$name: every response as dig and kdig printed it; analyze reports the names', async (capture) => {
    const file = join(dir, capture.file);
    const format = createPcapFormat({ dnsPorts: [port] });
    const filter = `udp port ${port} or tcp port ${port}`;
    const capturer = startDaemon(capture.binary(), capture.args(file, filter));
    capturers.push(capturer);
    await waitFor(`${capture.name} to start`, () => /listening on|Capturing on/.test(capturer.output()) || capturer.process.exitCode !== null, 30_000);
    expect(capturer.process.exitCode, capturer.output()).toBeNull();

    const printed = LOOKUPS.map((lookup) => ({ lookup, sections: printedSections(ask(lookup, port)) }));
    // Written packet by packet (-U): wait until every response is in the file, then stop.
    const decoded = (): DnsObservation[] => (existsSync(file) ? observationsOf(decode(format, [readFileSync(file)])).filter((o) => o.rcode !== null) : []);
    await waitFor('every response in the capture', () => decoded().length >= LOOKUPS.length, 30_000);
    await capturer.stop();

    const bytes = readFileSync(file);
    const outcomes = decode(format, [bytes]);
    expect(skipsOf(outcomes)).toEqual([]);
    const seen = observationsOf(outcomes);
    expect(seen.filter((o) => o.rcode === null)).toEqual([]);
    expect(seen).toHaveLength(LOOKUPS.length);
    for (const { lookup, sections } of printed) {
      const observation = seen.find((o) => o.qname === lookup.name && o.qtype === lookup.type);
      expect(observation, `${lookup.tool} ${lookup.name}`).toBeDefined();
      expect(observation!.client).toBe('127.0.0.1');
      expect({ answers: observation!.answers, authority: observation!.authority, additional: observation!.additional }, lookup.name).toEqual(sections);
    }
    const many = seen.find((o) => o.qname === 'many.local.test')!;
    expect(many.answers.map((r) => r.data).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `11.0.2.${20 + i}`));
    const referral = seen.find((o) => o.qname === 'www.sub.flux.test')!;
    expect(referral.authority.map((r) => [r.type, r.data]).sort()).toEqual([['NS', 'ns1.sub.flux.test'], ['NS', 'ns2.sub.flux.test']]);
    expect(referral.additional.map((r) => r.data).sort()).toEqual(['198.51.100.7', '198.51.100.8']);
    expect(seen.find((o) => o.qname === 'nothing.flux.test')!.rcode).toBe('NXDOMAIN');
    expect(bytes.readUInt32LE(0) === 0x0a0d0d0a || (capture.linkType === 276 ? bytes.readUInt32LE(20) === 276 : bytes.readUInt32LE(20) === 1)).toBe(true);

    if (!existsSync(CLI)) return;
    const renamed = join(dir, `port53-${capture.file}`);
    writeFileSync(renamed, onPort53(bytes, port));
    const run = spawnSync(process.execPath, [CLI, 'analyze', renamed, '--json', '--all', '--no-progress'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const verdicts = run.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { domain: string; features: Record<string, number> });
    const byName = new Map(verdicts.map((v) => [v.domain, v]));
    expect(byName.get('many.local.test')?.features.ips).toBe(8);
    expect(byName.get('www.flux.test')?.features.ips).toBe(4);
    expect(run.stderr).toContain('read 5 records');
  }, 180_000);
});
