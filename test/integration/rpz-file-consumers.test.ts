/**
 * The zone file `fluxhound analyze --rpz` writes, loaded by real resolvers:
 * Unbound (respip + rpz zonefile), Knot Resolver (policy.rpz watching the
 * file) and PowerDNS Recursor (rpzFile). Each forwards to a fake authority
 * in this process that answers every A query, so a benign name resolves and
 * a flagged one would resolve too without the zone.
 *
 * Phase 1: the example log, default policy (NXDOMAIN).
 * Phase 2: the example plus a new flux name (the lookups of my.vikoko.info
 * renamed to fresh.newflux.top), with policy.fastFlux: sinkhole and rpz.ip:
 * the file is replaced atomically, each resolver reloads it its own way, and
 * the new entry, the new action and (where supported) rpz-ip are enforced.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRpzZone, rpzOptionsOf } from '../../src/act/rpz/zone.js';
import { writeZoneFile } from '../../src/act/rpz/zone-file.js';
import { validateConfig } from '../../src/config/load.js';
import { flaggedVerdict } from '../helpers/verdicts.js';
import { unboundServerLines } from '../../bench/unbound-config.js';
import { startAnsweringAuthority, type AnsweringAuthority } from '../support/answer-all.js';
import { findBinary } from '../support/binaries.js';
import { CLI, ROOT, requireBuilt } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';

const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
const ANSWER = '198.51.100.10';
const FLAGGED = 'my.vikoko.info';
const UNDER_REGISTERED = 'anything.kezenonizi.net';
const BENIGN = 'www.paper-drive.com';
const NEW_FLUX = 'fresh.newflux.top';
/** A name that is no trigger but resolves to a flux address (for rpz-ip). */
const VIA_FLUX_ADDRESS = 'innocent-looking.example';

const dig = findBinary('dig', 'bind9-dnsutils');
const kdig = findBinary('kdig', 'knot-dnsutils');
const unbound = findBinary('unbound', 'unbound');
const unboundControl = findBinary('unbound-control', 'unbound');
const kresd = findBinary('kresd', 'knot-resolver');
const recursor = findBinary('pdns_recursor', 'pdns-recursor');
const recControl = findBinary('rec_control', 'pdns-recursor');

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-rpz-consumers-'));
let authority: AnsweringAuthority | undefined;
let authorityPort = 0;
/** A flux address from the phase-2 zone, served for VIA_FLUX_ADDRESS. */
let fluxAddress = '192.0.2.250';
const daemons: Daemon[] = [];

interface Answer {
  status: string;
  addresses: string[];
}

/**
 * Runs a tool without blocking: the fake authority lives in this process, so
 * a synchronous call would stop it answering the resolver it is waiting on.
 */
const run = async (file: string, args: string[]): Promise<string> => (await promisify(execFile)(file, args, { encoding: 'utf8', timeout: 30_000 })).stdout;

/** One A query through a resolver; dig, or kdig when dig is missing. */
async function query(port: number, name: string): Promise<Answer> {
  const tool = dig.path ?? kdig.path;
  if (tool === null) throw new Error(dig.missing ?? 'no dig');
  const out = await run(tool, [`@127.0.0.1`, '-p', String(port), name, 'A', '+tries=1', '+timeout=5']);
  const status = /status: ([A-Z]+)/.exec(out)?.[1] ?? 'NONE';
  const addresses = [...out.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!);
  return { status, addresses };
}

/** fluxhound analyze → a zone file at `path`. */
async function analyze(path: string, inputs: string[], config: string): Promise<void> {
  const configFile = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(configFile, config);
  await run(process.execPath, [CLI, 'analyze', '-q', '--no-progress', '-c', configFile, '--rpz', path, ...inputs]);
}

/** A zone served by a fluxing name server (Unbound reaches it through a stub-zone, so it sees the NS name). */
const NS_FLUXED = 'www.nsflux.test';
const FLUX_NS = 'ns1.fluxns.test';

/** Names no master file should take literally (the zone escapes them; the resolvers must still load it). */
const HOSTILE_NAMES = ['space here.example', 'quote"d.example', 'semi;colon.example', 'new\nline.example', '$INCLUDE.example', 'back\\slash.example', 'nul\u0000byte.example', 'paren(s).example', '@.example', '*.star.example', 'café.example', `${'x'.repeat(63)}.example`];

const PHASE2_CONFIG = 'policy:\n  fastFlux: sinkhole\nrpz:\n  ip: true\n';
let newFluxLog = '';

beforeAll(async () => {
  requireBuilt();
  // A new flux name: the lookups of a flux name already in the example, renamed.
  const lines = readFileSync(EXAMPLE, 'utf8').split('\n');
  newFluxLog = join(dir, 'new-flux.dns.log');
  writeFileSync(newFluxLog, lines.filter((l) => l.startsWith('#') || l.includes(`\t${FLAGGED}\t`)).map((l) => l.replace(`\t${FLAGGED}\t`, `\t${NEW_FLUX}\t`)).join('\n') + '\n');

  authority = await startAnsweringAuthority((name) => (name === VIA_FLUX_ADDRESS ? fluxAddress : name === FLUX_NS ? '127.0.0.1' : ANSWER));
  authorityPort = authority.port;
}, 60_000);

afterAll(async () => {
  for (const d of daemons) await d.stop();
  await authority?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Phase 2's zone: written over the live file; returns the flux address chosen for rpz-ip. */
async function phase2(path: string): Promise<void> {
  await analyze(path, [EXAMPLE, newFluxLog], PHASE2_CONFIG);
  const ip = /^32\.(\d+)\.(\d+)\.(\d+)\.(\d+)\.rpz-ip A /m.exec(readFileSync(path, 'utf8'));
  if (ip === null) throw new Error('phase 2 zone has no rpz-ip trigger');
  fluxAddress = `${ip[4]}.${ip[3]}.${ip[2]}.${ip[1]}`;
}

interface Consumer {
  name: string;
  missing: string | null;
  /** Starts the resolver on the zone file; returns its port. */
  start(zone: string, work: string): Promise<number>;
  /** Makes it load the changed file (or waits for it to notice). */
  reload(work: string): Promise<void>;
  ipTrigger: boolean;
  /** Whether rpz-nsdname is enforced here; null when this set-up cannot show it (forwarding hides the delegation). */
  nsdname: boolean | null;
}

const consumers: Consumer[] = [
  {
    name: 'Unbound (rpz: zonefile, respip)',
    missing: unbound.missing ?? unboundControl.missing ?? (dig.path ?? kdig.path ? null : dig.missing),
    ipTrigger: true,
    nsdname: true,
    async start(zone, work) {
      const port = await freePort();
      const control = await freePort();
      writeFileSync(
        join(work, 'unbound.conf'),
        [
          ...unboundServerLines(work, port),
          '  module-config: "respip iterator"',
          '  do-not-query-localhost: no',
          '  local-zone: "test." nodefault',
          'remote-control:',
          '  control-enable: yes',
          '  control-use-cert: no',
          '  control-interface: 127.0.0.1',
          `  control-port: ${control}`,
          // nsflux.test is delegated to a name server by name, so the iterator knows its NS name.
          'stub-zone:',
          '  name: "nsflux.test."',
          `  stub-host: "${FLUX_NS}@${authorityPort}"`,
          'stub-zone:',
          '  name: "fluxns.test."',
          `  stub-addr: 127.0.0.1@${authorityPort}`,
          'forward-zone:',
          '  name: "."',
          `  forward-addr: 127.0.0.1@${authorityPort}`,
          'rpz:',
          '  name: "rpz.fluxhound."',
          `  zonefile: "${zone}"`,
          '  rpz-log: yes',
          '',
        ].join('\n'),
      );
      daemons.push(startDaemon(unbound.path!, ['-d', '-c', join(work, 'unbound.conf')]));
      return port;
    },
    async reload(work) {
      await run(unboundControl.path!, ['-c', join(work, 'unbound.conf'), 'auth_zone_reload', 'rpz.fluxhound.']);
    },
  },
  {
    name: 'Knot Resolver (policy.rpz, file watch)',
    missing: kresd.missing ?? (dig.path ?? kdig.path ? null : dig.missing),
    ipTrigger: false,
    nsdname: false,
    async start(zone, work) {
      const port = await freePort();
      const rundir = join(work, 'run');
      mkdirSync(rundir);
      writeFileSync(
        join(work, 'kresd.conf'),
        [
          `net.listen('127.0.0.1', ${port}, { kind = 'dns' })`,
          "trust_anchors.remove('.')",
          "modules.unload('ta_update')",
          "modules.unload('priming')",
          "modules.unload('detect_time_skew')",
          `policy.add(policy.rpz(policy.DENY, '${zone}', true))`,
          `policy.add(policy.all(policy.STUB('127.0.0.1@${authorityPort}')))`,
          '',
        ].join('\n'),
      );
      daemons.push(startDaemon(kresd.path!, ['-n', '-c', join(work, 'kresd.conf'), rundir]));
      return port;
    },
    async reload() {
      // kresd watches the file itself.
    },
  },
  {
    name: 'PowerDNS Recursor (rpzFile)',
    missing: recursor.missing ?? recControl.missing ?? (dig.path ?? kdig.path ? null : dig.missing),
    ipTrigger: true,
    nsdname: null,
    async start(zone, work) {
      const port = await freePort();
      writeFileSync(join(work, 'rpz.lua'), `rpzFile("${zone}", {policyName="fluxhound"})\n`);
      writeFileSync(
        join(work, 'recursor.conf'),
        [
          'local-address=127.0.0.1',
          `local-port=${port}`,
          'daemon=no',
          'write-pid=no',
          'disable-syslog=yes',
          `socket-dir=${work}`,
          `forward-zones=.=127.0.0.1:${authorityPort}`,
          'dont-query=',
          `lua-config-file=${join(work, 'rpz.lua')}`,
          'dnssec=off',
          'security-poll-suffix=',
          '',
        ].join('\n'),
      );
      daemons.push(startDaemon(recursor.path!, [`--config-dir=${work}`]));
      return port;
    },
    async reload(work) {
      await run(recControl.path!, [`--socket-dir=${work}`, 'reload-lua-config']);
      // Answers given under the old policy sit in the packet cache until their TTL (rpz.ttl) runs out.
      await run(recControl.path!, [`--socket-dir=${work}`, 'wipe-cache', '$']);
    },
  },
];

describe.each(consumers)('$name loads the zone file', (consumer) => {
  const work = join(dir, consumer.name.split(' ')[0]!.toLowerCase());
  const zone = join(work, 'fluxhound.rpz');
  let port = 0;

  it.skipIf(consumer.missing !== null)('phase 1: flagged names NXDOMAIN, benign names answered', async () => {
    mkdirSync(work, { recursive: true });
    await analyze(zone, [EXAMPLE], '{}');
    port = await consumer.start(zone, work);
    await waitFor(`${consumer.name} to answer`, async () => (await query(port, BENIGN)).addresses.includes(ANSWER), 20_000, 200);
    expect(await query(port, BENIGN)).toEqual({ status: 'NOERROR', addresses: [ANSWER] });
    expect(await query(port, FLAGGED)).toEqual({ status: 'NXDOMAIN', addresses: [] });
    expect(await query(port, UNDER_REGISTERED)).toEqual({ status: 'NXDOMAIN', addresses: [] });
    // Not flagged yet: resolves.
    expect(await query(port, NEW_FLUX)).toEqual({ status: 'NOERROR', addresses: [ANSWER] });
  }, 60_000);

  it.skipIf(consumer.missing !== null)('phase 2: the replaced file is enforced: new entry, sinkhole action, rpz-ip where supported', async () => {
    expect(port).toBeGreaterThan(0);
    await phase2(zone);
    await consumer.reload(work);
    await waitFor(`${consumer.name} to enforce the new zone`, async () => (await query(port, NEW_FLUX)).addresses.includes('127.0.0.1'), 20_000, 200);
    expect(await query(port, NEW_FLUX)).toEqual({ status: 'NOERROR', addresses: ['127.0.0.1'] });
    expect(await query(port, FLAGGED)).toEqual({ status: 'NOERROR', addresses: ['127.0.0.1'] });
    expect(await query(port, BENIGN)).toEqual({ status: 'NOERROR', addresses: [ANSWER] });
    const viaAddress = await query(port, VIA_FLUX_ADDRESS);
    if (consumer.ipTrigger) expect(viaAddress).toEqual({ status: 'NOERROR', addresses: ['127.0.0.1'] });
    // Knot Resolver's policy.rpz has no rpz-ip: the answer passes unchanged.
    else expect(viaAddress).toEqual({ status: 'NOERROR', addresses: [fluxAddress] });
  }, 60_000);

  it.skipIf(consumer.missing !== null)('phase 3: a zone full of hostile names still loads and blocks', async () => {
    expect(port).toBeGreaterThan(0);
    const verdicts = [...HOSTILE_NAMES, 'hostile-check.example'].map((n) => flaggedVerdict(n, { flux: 'double', nameServers: [`ns1.${n}`] }));
    verdicts.push(flaggedVerdict('double.example', { flux: 'double', nameServers: [FLUX_NS] }));
    await writeZoneFile(zone, buildRpzZone(verdicts, rpzOptionsOf(validateConfig({ policy: { fastFlux: 'nodata' } }, 'test')), 4_000_000_000));
    await consumer.reload(work);
    await waitFor(`${consumer.name} to load the hostile zone`, async () => (await query(port, 'hostile-check.example')).addresses.length === 0, 20_000, 200);
    expect(await query(port, 'hostile-check.example')).toEqual({ status: 'NOERROR', addresses: [] });
    expect(await query(port, 'www.hostile-check.example')).toEqual({ status: 'NOERROR', addresses: [] });
    expect(await query(port, 'semi\\;colon.example')).toEqual({ status: 'NOERROR', addresses: [] });
    // The previous zone is gone: a name only it blocked resolves again.
    expect(await query(port, FLAGGED)).toEqual({ status: 'NOERROR', addresses: [ANSWER] });
    expect(await query(port, BENIGN)).toEqual({ status: 'NOERROR', addresses: [ANSWER] });
    // rpz-nsdname: every name served by the fluxing name server.
    const viaNs = await query(port, NS_FLUXED);
    if (consumer.nsdname === true) expect(viaNs).toEqual({ status: 'NOERROR', addresses: [] });
    if (consumer.nsdname === false) expect(viaNs).toEqual({ status: 'NOERROR', addresses: [ANSWER] });
  }, 60_000);
});
