/**
 * Defect 5: a flagged name holding a space or a control byte must be blocked
 * by the real resolvers that load fluxhound's RPZ, from the zone file and
 * over AXFR. The names are read from wire bytes by the decoder that feeds the
 * detector (so the verdict carries the one name text, 'fx\032space.test'),
 * the zone is built and written as `analyze --rpz` and `serve` do, and
 * Unbound and BIND load it from the file and transfer it from fluxhound's
 * RPZ server. Each then answers NXDOMAIN for the name, asked with dig using
 * its escaped text, while a name without the odd byte still resolves.
 * Before the fix the zone said 'fx\092032space.test': a label holding a
 * backslash and digits, which blocks nothing.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRpzZone, rpzOptionsOf } from '../../src/act/rpz/zone.js';
import { writeZoneFile } from '../../src/act/rpz/zone-file.js';
import type { RpzZone } from '../../src/act/rpz/types.js';
import { validateConfig } from '../../src/config/load.js';
import { RpzServer } from '../../src/serve/rpz-server/server.js';
import { decodeMessage } from '../../src/sources/dns-wire/index.js';
import { unboundServerLines } from '../../bench/unbound-config.js';
import { flaggedVerdict } from '../helpers/verdicts.js';
import { startAnsweringAuthority, type AnsweringAuthority } from '../support/answer-all.js';
import { findBinary } from '../support/binaries.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';

const ANSWER = '198.51.100.10';
const dig = findBinary('dig', 'bind9-dnsutils');
const unbound = findBinary('unbound', 'unbound');
const named = findBinary('named', 'bind9');

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-rpz-escaped-'));
const daemons: Daemon[] = [];
let authority: AnsweringAuthority | undefined;
let authorityPort = 0;
let rpzServer: RpzServer | null = null;
let rpzPort = 0;
const zoneFile = join(dir, 'fluxhound.rpz');

/** The detector's text of a name given as wire labels: read from an answer by the decoder that feeds it. */
function detectorText(labels: Buffer[]): string {
  const name = Buffer.concat([...labels.flatMap((l) => [Buffer.of(l.length), l]), Buffer.of(0)]);
  const answer = Buffer.concat([Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]), name, Buffer.from([0, 1, 0, 1])]);
  const decoded = decodeMessage(answer);
  if (typeof decoded === 'string') throw new Error(decoded);
  return decoded.questions[0]!.name;
}

/** A name with a space and one with a control byte (BEL), each in the label the zone blocks. */
const SPACE = detectorText([Buffer.from('fx space', 'latin1'), Buffer.from('test')]);
const CONTROL = detectorText([Buffer.from('fx\u0007bell', 'latin1'), Buffer.from('test')]);
/** The same labels without the odd byte: not flagged, they must resolve. */
const PLAIN = ['fxspace.test', 'fxbell.test'];

const run = promisify(execFile);

/** dig's status line and A records for `name` (presentation text, escapes and all). */
async function query(port: number, name: string): Promise<{ status: string; addresses: string[] }> {
  const { stdout } = await run(dig.path!, ['@127.0.0.1', '-p', String(port), name, 'A', '+tries=1', '+timeout=3'], { encoding: 'utf8', timeout: 20_000 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? 'NONE';
  const addresses = [...stdout.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!);
  return { status, addresses };
}

function zone(): RpzZone {
  const verdicts = [SPACE, CONTROL].map((n) => flaggedVerdict(n));
  return buildRpzZone(verdicts, rpzOptionsOf(validateConfig({}, 'test')), 7);
}

function unboundConf(work: string, port: number, rpz: string[]): string {
  return [
    ...unboundServerLines(work, port),
    '  module-config: "respip iterator"',
    '  do-not-query-localhost: no',
    '  do-ip6: no',
    '  local-zone: "test." nodefault',
    'remote-control:',
    '  control-enable: no',
    'forward-zone:',
    '  name: "."',
    `  forward-addr: 127.0.0.1@${authorityPort}`,
    'rpz:',
    '  name: "rpz.fluxhound."',
    ...rpz.map((l) => `  ${l}`),
    '',
  ].join('\n');
}

function namedConf(work: string, port: number, rpzZone: string): string {
  return `options {
  directory "${work}";
  pid-file none;
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-recursion { 127.0.0.1; };
  dnssec-validation no;
  notify no;
  forwarders { 127.0.0.1 port ${authorityPort}; };
  forward only;
  response-policy { zone "rpz.fluxhound"; } qname-wait-recurse no;
};
zone "rpz.fluxhound" { ${rpzZone} };
`;
}

async function startUnbound(work: string, rpz: string): Promise<number> {
  const port = await freePort();
  writeFileSync(join(work, 'unbound.conf'), unboundConf(work, port, [rpz]));
  daemons.push(startDaemon(unbound.path!, ['-d', '-c', join(work, 'unbound.conf')], { cwd: work }));
  return port;
}

async function startNamed(work: string, rpzZone: string): Promise<number> {
  const port = await freePort();
  writeFileSync(join(work, 'named.conf'), namedConf(work, port, rpzZone));
  daemons.push(startDaemon(named.path!, ['-g', '-c', join(work, 'named.conf')], { cwd: work }));
  return port;
}

/** Each resolver, and how it gets the zone: from the file or by AXFR from fluxhound's RPZ server. */
const consumers: { name: string; missing: string | null; start: (work: string) => Promise<number> }[] = [
  { name: 'Unbound, zone file', missing: unbound.missing, start: (work) => startUnbound(work, `zonefile: "${zoneFile}"`) },
  { name: 'Unbound, AXFR from the RPZ server', missing: unbound.missing, start: (work) => startUnbound(work, `primary: 127.0.0.1@${rpzPort}`) },
  { name: 'BIND, zone file', missing: named.missing, start: (work) => startNamed(work, `type primary; file "${zoneFile}";`) },
  { name: 'BIND, AXFR from the RPZ server', missing: named.missing, start: (work) => startNamed(work, `type secondary; primaries { 127.0.0.1 port ${rpzPort}; }; file "secondary.db";`) },
];

beforeAll(async () => {
  // Answers every A query: without the RPZ, the flagged names resolve too.
  authority = await startAnsweringAuthority(() => ANSWER);
  authorityPort = authority.port;
  await writeZoneFile(zoneFile, zone());
  rpzPort = await freePort();
  rpzServer = new RpzServer({ listen: { host: '127.0.0.1', port: rpzPort }, allow: (a) => a === '127.0.0.1', key: null, notify: [], log: pino({ level: 'silent' }), zone: zone() });
  await rpzServer.start();
}, 30_000);

afterAll(async () => {
  for (const d of daemons) await d.stop();
  await rpzServer?.stop();
  await authority?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('defect 5: names with a space or a control byte in the RPZ', () => {
  it('the detector text is the one name text, and the zone file holds it escaped once', () => {
    expect(SPACE).toBe('fx\\032space.test');
    expect(CONTROL).toBe('fx\\007bell.test');
    const text = readFileSync(zoneFile, 'utf8');
    expect(text).toMatch(/^fx\\032space\.test CNAME \.$/m);
    expect(text).toMatch(/^fx\\007bell\.test CNAME \.$/m);
    expect(text).not.toContain('\\092');
  });

});

describe.each(consumers)('defect 5: $name', (consumer) => {
  it.skipIf(consumer.missing !== null || dig.path === null)('blocks both names (NXDOMAIN, asked by their escaped text) and resolves their plain twins', { timeout: 60_000 }, async () => {
    const work = join(dir, consumer.name.replace(/\W+/g, '-'));
    mkdirSync(work, { recursive: true });
    const port = await consumer.start(work);
    // Loaded (and for a secondary, transferred) when a flagged name stops resolving.
    await waitFor(`${consumer.name} to enforce the zone`, async () => (await query(port, SPACE)).status === 'NXDOMAIN', 30_000, 250);
    expect(await query(port, SPACE)).toEqual({ status: 'NXDOMAIN', addresses: [] });
    expect(await query(port, CONTROL)).toEqual({ status: 'NXDOMAIN', addresses: [] });
    for (const name of PLAIN) expect(await query(port, name)).toEqual({ status: 'NOERROR', addresses: [ANSWER] });
  });
});
