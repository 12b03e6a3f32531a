/**
 * The RPZ as real resolvers consume it. `fluxhound serve --follow LOG
 * --rpz-server` flags the flux names of examples/example.dns.log and serves
 * the zone; BIND 9 (secondary with TSIG, NOTIFY, IXFR, response-policy),
 * Unbound (rpz: clause; it has no TSIG for zone transfers, so it pulls from
 * a second, keyless fluxhound) and PowerDNS Recursor (rpzPrimary with TSIG;
 * it polls on its refresh timer, it does not act on NOTIFY) pull it. For each:
 * a flagged name and a name under it get NXDOMAIN, a benign name resolves;
 * then new flux records are appended to LOG and each resolver must block the
 * new name within seconds — BIND through NOTIFY and IXFR.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unboundServerLines } from '../../bench/unbound-config.js';
import { findBinary } from '../support/binaries.js';
import { CLI, ROOT, requireBuilt } from '../support/cli.js';
import { freePort, startDaemon, waitFor } from '../support/daemon.js';
import type { Daemon } from '../support/daemon.js';

const run = promisify(execFile);
const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');

const dig = findBinary('dig', 'bind9-dnsutils');
const named = findBinary('named', 'bind9');
const unbound = findBinary('unbound', 'unbound');
const pdns = findBinary('pdns_recursor', 'pdns-recursor');

const KEY_NAME = 'fluxhound-rpz';
/** Flagged in the example (a double-flux name of network fn-1) and a name under its registered domain (wildcard trigger). */
const FLAGGED = 'www.zevizantorzo592.pw';
const UNDER = 'cdn.assets.zevizantorzo592.pw';
/** Appended during the test: the example's my.vikoko.info answers under a new name, after the example's last record. */
const NEW_FLUX = 'cdn.zorvexaqin.top';
const BENIGN = 'www.benign.test';
const BENIGN_ADDRESS = '192.0.2.10';
/** Address every flux name has in the resolvers' local zones: without the RPZ they resolve, so NXDOMAIN can only be the policy. */
const FLUX_ADDRESS = '198.51.100.7';

/** Local authoritative zones each resolver serves: the benign name, and the flux names (which resolve until blocked). */
const LOCAL_ZONES: Record<string, string[]> = {
  'benign.test': [`www A ${BENIGN_ADDRESS}`],
  'zevizantorzo592.pw': [`www A ${FLUX_ADDRESS}`, `cdn.assets A ${FLUX_ADDRESS}`],
  'zorvexaqin.top': [`cdn A ${FLUX_ADDRESS}`, `www.cdn A ${FLUX_ADDRESS}`],
};

/** A zone delegated to a fluxing name server of the example (an rpz-nsdname trigger): only NSDNAME can block it. */
const NSD_ZONE = 'nsdtest.example';
const NSD_NAME = `www.${NSD_ZONE}`;
const NSD_SERVER = 'ns1.voselro.xyz';
/** The parent (example. and voselro.xyz.) and the delegated server; port 53, because a delegation carries no port. */
const PARENT_ADDRESS = '127.0.0.5';
/** The same delegation to a name server nobody flagged: must resolve (the control). */
const CONTROL_ZONE = 'control.example';
const CONTROL_NAME = `www.${CONTROL_ZONE}`;
const CONTROL_SERVER = 'ns1.dns-host.example';
const DELEGATIONS: Record<string, string> = { [NSD_ZONE]: NSD_SERVER, [CONTROL_ZONE]: CONTROL_SERVER };
const CHILD_ADDRESS = '127.0.0.6';

/**
 * A real delegation for NSD_NAME: the resolvers reach `example.` and
 * `voselro.xyz.` at PARENT_ADDRESS (stub zones); it refers nsdtest.example
 * to NSD_SERVER, whose address is CHILD_ADDRESS, which answers. Binding port
 * 53 takes root; null when that is not possible.
 */
async function startDelegation(): Promise<{ close: () => void } | null> {
  const sockets: Socket[] = [];
  const serve = async (address: string, respond: (q: dnsPacket.Question) => Partial<dnsPacket.Packet>): Promise<boolean> => {
    const socket = createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      let q: dnsPacket.Packet;
      try {
        q = dnsPacket.decode(msg);
      } catch {
        return;
      }
      const question = q.questions?.[0];
      if (question === undefined) return;
      const reply = dnsPacket.encode({ id: q.id, type: 'response', questions: [question], ...respond(question) });
      socket.send(reply, rinfo.port, rinfo.address);
    });
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(53, address, () => resolve(true));
    });
    if (ok) sockets.push(socket);
    else socket.close();
    return ok;
  };
  const soa = (zone: string): dnsPacket.Answer => ({ name: zone, type: 'SOA', ttl: 1, data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 60, retry: 60, expire: 600, minimum: 1 } });
  const AA = dnsPacket.AUTHORITATIVE_ANSWER;
  const zoneOf = (name: string): string | undefined => Object.keys(DELEGATIONS).find((z) => name === z || name.endsWith(`.${z}`));
  const parent = await serve(PARENT_ADDRESS, (q) => {
    const name = q.name.toLowerCase();
    if (Object.values(DELEGATIONS).includes(name) && q.type === 'A') return { flags: AA, answers: [{ name, type: 'A', ttl: 1, data: CHILD_ADDRESS }] };
    const delegated = zoneOf(name);
    if (delegated !== undefined) return { flags: 0, authorities: [{ name: delegated, type: 'NS', ttl: 1, data: DELEGATIONS[delegated]! }] };
    const zone = name.endsWith('voselro.xyz') ? 'voselro.xyz' : 'example';
    return { flags: AA, authorities: [soa(zone)] };
  });
  const child = parent && (await serve(CHILD_ADDRESS, (q) => {
    const name = q.name.toLowerCase();
    const zone = zoneOf(name);
    if (zone === undefined) return { flags: 5 };
    const ns: dnsPacket.Answer = { name: zone, type: 'NS', ttl: 1, data: DELEGATIONS[zone]! };
    if (name === `www.${zone}` && q.type === 'A') return { flags: AA, answers: [{ name, type: 'A', ttl: 1, data: FLUX_ADDRESS }], authorities: [ns] };
    if (name === zone && q.type === 'NS') return { flags: AA, answers: [ns] };
    return { flags: AA | (name === `www.${zone}` || name === zone ? 0 : 3), authorities: [soa(zone)] };
  }));
  const close = (): void => {
    for (const s of sockets) s.close();
  };
  if (!child) {
    close();
    return null;
  }
  return { close };
}

/** Writes one master file per local zone into dir; returns [origin, path] pairs. */
function writeLocalZones(dir: string): [string, string][] {
  return Object.entries(LOCAL_ZONES).map(([origin, records]) => {
    const path = join(dir, `${origin}.zone`);
    // TTL 1, as flux answers have: a resolver's answer cache must not outlive the test's before/after checks.
    writeFileSync(path, [`$ORIGIN ${origin}.`, '$TTL 1', '@ SOA ns hostmaster 1 60 60 600 60', '@ NS ns', 'ns A 127.0.0.1', ...records, ''].join('\n'));
    return [origin, path];
  });
}

interface Lookup {
  status: string;
  answers: string[];
}

async function lookup(port: number, name: string): Promise<Lookup> {
  const { stdout } = await run(dig.path!, ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', '+nocookie', name, 'A'], { timeout: 10_000 }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? 'TIMEOUT';
  const answers = stdout
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith(';'))
    .map((l) => l.split(/\s+/))
    .filter((r) => r[3] === 'A')
    .map((r) => r[4]!);
  return { status, answers };
}

/** The example's my.vikoko.info A answers under NEW_FLUX, every 20 s after the example ends. */
function newFluxLines(): string {
  const lines = readFileSync(EXAMPLE, 'utf8')
    .split('\n')
    .filter((l) => l.split('\t')[9] === 'my.vikoko.info' && l.split('\t')[13] === 'A')
    .slice(0, 8);
  return lines
    .map((l, i) => {
      const f = l.split('\t');
      f[0] = String(1_743_653_000 + (i + 1) * 20);
      f[9] = NEW_FLUX;
      return f.join('\t');
    })
    .join('\n') + '\n';
}

interface Resolver {
  name: 'BIND' | 'Unbound' | 'PowerDNS';
  port: number;
  daemon: Daemon;
  /** Milliseconds from the append to NXDOMAIN for NEW_FLUX. */
  enforcedAfterMs?: number;
}

describe.skipIf(dig.path === null)('RPZ transfer to real resolvers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-rpz-'));
  const log = join(dir, 'dns.log');
  const keyFile = join(dir, 'rpz.key');
  const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)).toString('base64');
  const daemons: Daemon[] = [];
  const resolvers: Resolver[] = [];
  let signed: Daemon;
  let keyless: Daemon;
  let signedPort = 0;
  let keylessPort = 0;
  let delegation: { close: () => void } | null = null;

  function fluxhound(port: number, extra: string[]): Daemon {
    const d = startDaemon(process.execPath, [CLI, 'serve', '--rpz-server', `127.0.0.1:${port}`, '--follow', log, '--follow-interval', '100', '--no-flags', '--no-reference', ...extra], { cwd: dir });
    daemons.push(d);
    return d;
  }

  async function zoneHas(port: number, name: string, key: boolean): Promise<boolean> {
    const args = ['@127.0.0.1', '-p', String(port), 'AXFR', 'rpz.fluxhound.'];
    if (key) args.unshift('-y', `hmac-sha256:${KEY_NAME}:${secret}`);
    const { stdout } = await run(dig.path!, args, { timeout: 10_000 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    return stdout.includes(`\n${name}.rpz.fluxhound.`);
  }

  beforeAll(async () => {
    requireBuilt();
    writeFileSync(keyFile, `key "${KEY_NAME}" {\n\talgorithm hmac-sha256;\n\tsecret "${secret}";\n};\n`);
    // Everything but the closing line: the file keeps growing, as Zeek's current/dns.log does.
    writeFileSync(log, readFileSync(EXAMPLE, 'utf8').replace(/#close[^\n]*\n?$/, ''));
    signedPort = await freePort();
    keylessPort = await freePort();
    delegation = await startDelegation();
    const bindPort = named.path === null ? 0 : await freePort();
    const unboundPort = unbound.path === null ? 0 : await freePort();
    const pdnsPort = pdns.path === null ? 0 : await freePort();

    signed = fluxhound(signedPort, ['--tsig-key-file', keyFile, ...(bindPort ? ['--rpz-notify', `127.0.0.1:${bindPort}`] : [])]);
    keyless = fluxhound(keylessPort, unboundPort ? ['--rpz-notify', `127.0.0.1:${unboundPort}`] : []);
    await waitFor('fluxhound (TSIG) to serve the flagged names', () => zoneHas(signedPort, FLAGGED, true), 60_000, 250);
    await waitFor('fluxhound (keyless) to serve the flagged names', () => zoneHas(keylessPort, FLAGGED, false), 60_000, 250);

    if (named.path !== null) {
      const bdir = join(dir, 'bind');
      mkdirSync(bdir);
      const zones = writeLocalZones(bdir);
      writeFileSync(
        join(bdir, 'named.conf'),
        `key "${KEY_NAME}" { algorithm hmac-sha256; secret "${secret}"; };
options {
  directory "${bdir}";
  pid-file none;
  listen-on port ${bindPort} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-recursion { 127.0.0.1; };
  dnssec-validation no;
  notify no;
  response-policy { zone "rpz.fluxhound"; } qname-wait-recurse no min-update-interval 0;
};
zone "rpz.fluxhound" {
  type secondary;
  primaries { 127.0.0.1 port ${signedPort} key "${KEY_NAME}"; };
  transfer-source 127.0.0.3;
  file "rpz.fluxhound.db";
};
${zones.map(([origin, path]) => `zone "${origin}" { type primary; file "${path}"; };`).join('\n')}
zone "example" { type static-stub; server-addresses { ${PARENT_ADDRESS}; }; };
zone "voselro.xyz" { type static-stub; server-addresses { ${PARENT_ADDRESS}; }; };
`,
      );
      const d = startDaemon(named.path, ['-g', '-c', join(bdir, 'named.conf')], { cwd: bdir });
      daemons.push(d);
      resolvers.push({ name: 'BIND', port: bindPort, daemon: d });
    }
    if (unbound.path !== null) {
      const udir = join(dir, 'unbound');
      mkdirSync(udir);
      writeFileSync(
        join(udir, 'unbound.conf'),
        `${unboundServerLines(udir, unboundPort).join('\n')}
  do-ip6: no
  verbosity: 1
  module-config: "respip iterator"
  access-control: 127.0.0.0/8 allow
  local-zone: "test." nodefault
  do-not-query-localhost: no
stub-zone:
  name: example.
  stub-addr: ${PARENT_ADDRESS}
stub-zone:
  name: voselro.xyz.
  stub-addr: ${PARENT_ADDRESS}
remote-control:
  control-enable: no
rpz:
  name: rpz.fluxhound.
  primary: 127.0.0.1@${keylessPort}
  rpz-log: yes
  rpz-log-name: fluxhound
${writeLocalZones(udir)
  .map(([origin, path]) => `auth-zone:\n  name: ${origin}.\n  zonefile: "${path}"\n  for-upstream: yes\n  for-downstream: no\n  fallback-enabled: no\n`)
  .join('')}`,
      );
      const d = startDaemon(unbound.path, ['-d', '-c', join(udir, 'unbound.conf')], { cwd: udir });
      daemons.push(d);
      resolvers.push({ name: 'Unbound', port: unboundPort, daemon: d });
    }
    if (pdns.path !== null) {
      const pdir = join(dir, 'pdns');
      mkdirSync(pdir);
      writeFileSync(join(pdir, 'recursor.conf'), '');
      const zones = writeLocalZones(pdir);
      // refresh overrides the SOA's: the Recursor polls, it does not act on NOTIFY for RPZ.
      writeFileSync(
        join(pdir, 'rpz.lua'),
        `rpzPrimary("127.0.0.1:${signedPort}", "rpz.fluxhound.", { refresh = 1, tsigname = "${KEY_NAME}", tsigalgo = "hmac-sha256", tsigsecret = "${secret}", localAddress = "127.0.0.2", policyName = "fluxhound" })\n`,
      );
      const d = startDaemon(
        pdns.path,
        [
          `--config-dir=${pdir}`,
          `--socket-dir=${pdir}`,
          '--local-address=127.0.0.1',
          `--local-port=${pdnsPort}`,
          '--daemon=no',
          '--write-pid=no',
          '--disable-syslog=yes',
          '--threads=1',
          `--lua-config-file=${join(pdir, 'rpz.lua')}`,
          `--auth-zones=${zones.map(([origin, path]) => `${origin}=${path}`).join(',')}`,
          `--forward-zones=example=${PARENT_ADDRESS},voselro.xyz=${PARENT_ADDRESS}`,
          '--dont-query=',
          '--dnssec=off',
          '--loglevel=6',
          '--quiet=no',
        ],
        { cwd: pdir },
      );
      daemons.push(d);
      resolvers.push({ name: 'PowerDNS', port: pdnsPort, daemon: d });
    }
  }, 180_000);

  afterAll(async () => {
    for (const d of daemons.reverse()) await d.stop();
    delegation?.close();
    rmSync(dir, { recursive: true, force: true });
    const summary = resolvers.map((r) => `${r.name}: ${r.enforcedAfterMs ?? 'n/a'} ms`).join(', ');
    if (summary !== '') console.log(`rpz-transfer: append → NXDOMAIN for ${NEW_FLUX}: ${summary}`);
    if (process.env.RPZ_TRANSFER_DEBUG) for (const d of [signed, keyless]) console.log(d.output().split('\n').filter((l) => /outcome|NOTIFY/.test(l)).join('\n'));
    if (process.env.RPZ_TRANSFER_DEBUG) for (const r of resolvers) console.log(`--- ${r.name}\n${r.daemon.output().slice(-4000)}`);
  }, 60_000);

  it('serves the flagged names signed and refuses the zone without the key', { timeout: 60_000 }, async () => {
    expect(await zoneHas(signedPort, FLAGGED, true)).toBe(true);
    expect(await zoneHas(signedPort, FLAGGED, false)).toBe(false);
    // The refusal's log line reaches the daemon's stdout after the reply: poll for it (a busy host delays the pipe).
    await waitFor('fluxhound to log the unsigned transfer it refused', () => /"outcome":"refused".*unsigned transfer request/.test(signed.output()), 20_000, 50);
    expect(signed.output()).toMatch(/"outcome":"refused".*unsigned transfer request/);
    expect(keyless.output()).toMatch(/rpz-server listening/);
  });

  it('each resolver blocks a flagged name and the names under it, and resolves a benign name', { timeout: 120_000 }, async () => {
    expect(resolvers.length).toBeGreaterThan(0);
    for (const r of resolvers) {
      const blocked = await waitFor(`${r.name} to enforce the RPZ on ${FLAGGED}`, async () => ((await lookup(r.port, FLAGGED)).status === 'NXDOMAIN' ? true : undefined), 60_000, 250).catch((err: Error) => {
        throw new Error(`${err.message}\n${r.daemon.output().slice(-3000)}`);
      });
      expect(blocked).toBe(true);
      expect((await lookup(r.port, UNDER)).status).toBe('NXDOMAIN');
      const benign = await lookup(r.port, BENIGN);
      expect(benign, r.name).toEqual({ status: 'NOERROR', answers: [BENIGN_ADDRESS] });
    }
  });

  it('after new flux records are appended, each resolver blocks the new name within seconds', { timeout: 120_000 }, async () => {
    for (const r of resolvers) expect(await lookup(r.port, NEW_FLUX), `${r.name} before the append`).toEqual({ status: 'NOERROR', answers: [FLUX_ADDRESS] });
    const appendedAt = Date.now();
    appendFileSync(log, newFluxLines());
    await Promise.all(
      resolvers.map(async (r) => {
        await waitFor(`${r.name} to block ${NEW_FLUX}`, async () => ((await lookup(r.port, NEW_FLUX)).status === 'NXDOMAIN' ? true : undefined), 60_000, 100).catch((err: Error) => {
          throw new Error(`${err.message}\n${r.daemon.output().slice(-3000)}`);
        });
        r.enforcedAfterMs = Date.now() - appendedAt;
      }),
    );
    for (const r of resolvers) {
      expect((await lookup(r.port, `www.${NEW_FLUX}`)).status, r.name).toBe('NXDOMAIN');
      expect((await lookup(r.port, BENIGN)).answers, r.name).toEqual([BENIGN_ADDRESS]);
    }
  });

  it('NSDNAME: a name whose zone is served by a fluxing name server', { timeout: 60_000 }, async (test) => {
    if (delegation === null) test.skip('binding 127.0.0.5:53 and 127.0.0.6:53 for the delegation takes root');
    expect(await zoneHas(signedPort, `${NSD_SERVER}.rpz-nsdname`, true), `the example should make ${NSD_SERVER} an rpz-nsdname trigger`).toBe(true);
    const seen: Record<string, string> = {};
    for (const r of resolvers) {
      const control = await lookup(r.port, CONTROL_NAME);
      expect(control, `${r.name}: ${CONTROL_NAME} (NS ${CONTROL_SERVER})`).toEqual({ status: 'NOERROR', answers: [FLUX_ADDRESS] });
      seen[r.name] = (await lookup(r.port, NSD_NAME)).status;
    }
    console.log(`rpz-transfer: ${NSD_NAME} (NS ${NSD_SERVER}, an rpz-nsdname trigger): ${JSON.stringify(seen)}`);
    for (const r of resolvers) expect(seen[r.name], r.name).toBe('NXDOMAIN');
  });

  it.skipIf(named.path === null)('BIND was told by NOTIFY and took the change by IXFR, signed', { timeout: 60_000 }, async () => {
    const bind = resolvers.find((r) => r.name === 'BIND')!;
    await waitFor('fluxhound to log the NOTIFY ack from BIND', () => /NOTIFY acknowledged/.test(signed.output()), 20_000, 100);
    // BIND transfers from 127.0.0.3 (transfer-source), so its requests are the ones from that address.
    const fromBind = signed
      .output()
      .split('\n')
      .filter((l) => l.includes('"client":"127.0.0.3"'));
    expect(fromBind.some((l) => l.includes('"outcome":"ixfr"') && l.includes('"signed":true'))).toBe(true);
    expect(bind.daemon.output()).toMatch(/notify from 127\.0\.0\.1#\d+: serial \d+/);
    expect(bind.daemon.output()).toMatch(/transferred serial \d+: TSIG 'fluxhound-rpz'/);
  });

  it.skipIf(unbound.path === null)('Unbound was told by NOTIFY and took the change by IXFR (unsigned: it has no TSIG for transfers)', { timeout: 60_000 }, async () => {
    const port = resolvers.find((r) => r.name === 'Unbound')!.port;
    await waitFor('the keyless fluxhound to log the NOTIFY ack from Unbound', () => new RegExp(`"target":"127\\.0\\.0\\.1:${port}","serial":\\d+,"msg":"NOTIFY acknowledged"`).test(keyless.output()), 20_000, 100);
    // dig asks only AXFR here, so the IXFR is Unbound's.
    expect(keyless.output()).toMatch(/"client":"127\.0\.0\.1","transport":"tcp","outcome":"ixfr"/);
  });

  it.skipIf(pdns.path === null)('PowerDNS Recursor polled and took the change by IXFR, signed', { timeout: 60_000 }, async () => {
    // Its transfers come from 127.0.0.2 (localAddress in rpzPrimary).
    const fromPdns = signed
      .output()
      .split('\n')
      .filter((l) => l.includes('"client":"127.0.0.2"'));
    expect(fromPdns.some((l) => l.includes('"outcome":"ixfr"') && l.includes('"signed":true'))).toBe(true);
    expect(resolvers.find((r) => r.name === 'PowerDNS')!.daemon.output()).toMatch(/Getting IXFR deltas/);
  });
});

describe('fluxhound serve --rpz-server start-up errors', () => {
  it.each([
    [['--tsig-key', 'fluxhound-rpz:not-base64'], /--tsig-key: the secret of key 'fluxhound-rpz' is not base64/],
    [['--tsig-key', 'hmac-md5:fluxhound-rpz:c2VjcmV0c2VjcmV0c2VjcmV0'], /algorithm 'hmac-md5' is not supported/],
    [['--tsig-key-file', '/nonexistent/rpz.key'], /--tsig-key-file \/nonexistent\/rpz.key: ENOENT/],
  ])('%j is one line on stderr and exit status 2', { timeout: 60_000 }, async (extra, message) => {
    const result = await run(process.execPath, [CLI, 'serve', '--rpz-server', '127.0.0.1:0', ...extra], { timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code?: number; stderr?: string }) => ({ code: err.code, stderr: err.stderr ?? '' }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
