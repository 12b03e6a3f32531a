/**
 * Real resolvers using fluxhound as their DNS over TLS forwarder: the built
 * daemon (`serve --dot` with a certificate for dns.fluxhound.example from a
 * test CA made here, an intel feed listing one name, a plain Unbound
 * upstream answering from local-data), then Unbound (forward-zone with
 * forward-tls-upstream, tls-cert-bundle = the test CA, NAME after '#') and
 * Knot Resolver (policy.TLS_FORWARD with hostname and ca_file) on
 * 127.0.0.1, each asked by dig over plain UDP. Answers come through
 * fluxhound over TLS (the resolvers know no other way to it), the listed
 * name is blocked through each resolver, and fluxhound's /metrics count the
 * dns-tls connections. Names are under example. because both resolvers
 * answer test. themselves (Unbound: a default local zone; kresd:
 * policy.special_names, evaluated before any policy rule).
 * BIND 9.18 cannot forward over TLS (`forwarders ... tls` came in 9.20),
 * so it is not here (see src/serve/dns/README.md).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unboundServerLines } from '../../bench/unbound-config.js';
import { findBinary } from '../support/binaries.js';
import { CLI, requireBuilt } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';
import { makeTestCertificates, openssl } from '../support/test-certs.js';
import { fetchWithToken, writeTokenFile, type TestTokens } from '../support/tokens.js';

const unbound = findBinary('unbound', 'unbound');
const kresd = findBinary('kresd', 'knot-resolver');
const dig = findBinary('dig', 'bind9-dnsutils');
const skipReason = [unbound, kresd, dig, openssl].find((b) => b.missing !== null)?.missing ?? null;

const TLS_NAME = 'dns.fluxhound.example';
const ANSWERED = 'www.dot-answer.example';
const LISTED = 'listed.dot-blocked.example';
/** Asked only after fluxhound closed the resolvers' idle connections. */
const AGAIN = 'again.dot-answer.example';
/** serve.dns.dot.idleMs for this daemon: short, so the idle close happens within the test. */
const DOT_IDLE_MS = 1500;

interface Answer {
  status: string;
  addresses: string[];
}

/** dig over plain UDP; async (nothing here blocks the loop anyway, but the daemons log through pipes). */
function ask(port: number, name: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    execFile(dig.path!, ['+time=5', '+tries=1', '+nocookie', '@127.0.0.1', '-p', String(port), name, 'A'], { encoding: 'utf8', timeout: 20_000 }, (err, stdout) => {
      if (err !== null && stdout === '') return reject(err);
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NONE';
      const addresses = [...stdout.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!).sort();
      resolve({ status, addresses });
    });
  });
}

/** Unbound forwarding everything to fluxhound over TLS: the configuration the top README shows. */
export function unboundDotForwarderLines(dotPort: number, caFile: string, name: string): string[] {
  return [
    `  tls-cert-bundle: "${caFile}"`,
    '  do-not-query-localhost: no',
    'forward-zone:',
    '  name: "."',
    '  forward-tls-upstream: yes',
    `  forward-addr: 127.0.0.1@${dotPort}#${name}`,
  ];
}

/** Knot Resolver forwarding everything to fluxhound over TLS. */
export function kresdDotForwarderLines(dotPort: number, caFile: string, name: string): string[] {
  return [`policy.add(policy.all(policy.TLS_FORWARD({ {'127.0.0.1@${dotPort}', hostname='${name}', ca_file='${caFile}'} })))`];
}

describe.skipIf(skipReason !== null)(`real resolvers forwarding to fluxhound over DNS over TLS${skipReason === null ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dir = '';
  let tokens: TestTokens;
  const daemons: Daemon[] = [];
  let httpPort = 0;
  let dotPort = 0;
  let wrongNamePort = 0;
  let caFile = '';
  const resolvers: { name: string; port: number }[] = [];

  beforeAll(async () => {
    requireBuilt();
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-dot-resolvers-'));
    tokens = writeTokenFile(dir);
    const files = makeTestCertificates(dir, TLS_NAME);
    caFile = files.ca;

    // The upstream: a plain Unbound answering both names (so a block is fluxhound's, not the upstream's).
    const upstreamPort = await freePort();
    const upstreamDir = join(dir, 'upstream');
    mkdirSync(upstreamDir);
    writeFileSync(
      join(upstreamDir, 'unbound.conf'),
      [
        ...unboundServerLines(upstreamDir, upstreamPort),
        '  do-ip6: no',
        '  num-threads: 1',
        '  local-zone: "example." static',
        `  local-data: "${ANSWERED}. 300 IN A 192.0.2.80"`,
        `  local-data: "${LISTED}. 300 IN A 192.0.2.66"`,
        `  local-data: "${AGAIN}. 300 IN A 192.0.2.81"`,
        'remote-control:',
        '  control-enable: no',
        '',
      ].join('\n'),
    );
    daemons.push(startDaemon(unbound.path!, ['-d', '-c', join(upstreamDir, 'unbound.conf')]));

    // fluxhound: plain DNS for nobody here, DoT for the resolvers, the feed listing one name.
    writeFileSync(join(dir, 'feed.txt'), `${LISTED}\n`);
    writeFileSync(join(dir, 'fluxhound.yaml'), `serve:\n  dns:\n    dot:\n      idleMs: ${DOT_IDLE_MS}\n`);
    const dnsPort = await freePort();
    dotPort = await freePort();
    httpPort = await freePort();
    const fluxhound = startDaemon(process.execPath, [
      CLI, 'serve', '-c', join(dir, 'fluxhound.yaml'), '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${upstreamPort}`,
      '--dot', `127.0.0.1:${dotPort}`, '--dot-cert', files.cert, '--dot-key', files.key,
      '--intel', `${join(dir, 'feed.txt')},name=dot-feed,action=block`,
      '--http', `127.0.0.1:${httpPort}`, '--api-tokens', tokens.file, '--no-store', '--rate-limit', '0', '--log-level', 'info',
    ], { cwd: dir });
    daemons.push(fluxhound);
    await waitFor('fluxhound to answer and block', async () => (await ask(dnsPort, LISTED).catch(() => null))?.status === 'NXDOMAIN', 60_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${fluxhound.output()}`);
    });

    const unboundPort = await freePort();
    const unboundDir = join(dir, 'unbound');
    mkdirSync(unboundDir);
    writeFileSync(
      join(unboundDir, 'unbound.conf'),
      [...unboundServerLines(unboundDir, unboundPort), '  do-ip6: no', '  num-threads: 1', '  module-config: "iterator"', ...unboundDotForwarderLines(dotPort, files.ca, TLS_NAME), 'remote-control:', '  control-enable: no', ''].join('\n'),
    );
    daemons.push(startDaemon(unbound.path!, ['-d', '-c', join(unboundDir, 'unbound.conf')]));
    resolvers.push({ name: 'Unbound', port: unboundPort });

    // The same Unbound told to expect another name on the certificate: it must refuse fluxhound's.
    const wrongPort = await freePort();
    const wrongDir = join(dir, 'unbound-wrong-name');
    mkdirSync(wrongDir);
    writeFileSync(
      join(wrongDir, 'unbound.conf'),
      [...unboundServerLines(wrongDir, wrongPort), '  do-ip6: no', '  num-threads: 1', '  module-config: "iterator"', ...unboundDotForwarderLines(dotPort, files.ca, 'other.fluxhound.example'), 'remote-control:', '  control-enable: no', ''].join('\n'),
    );
    daemons.push(startDaemon(unbound.path!, ['-d', '-c', join(wrongDir, 'unbound.conf')]));
    wrongNamePort = wrongPort;

    const kresdPort = await freePort();
    const kresdDir = join(dir, 'kresd');
    mkdirSync(kresdDir);
    writeFileSync(
      join(kresdDir, 'kresd.conf'),
      [
        `net.listen('127.0.0.1', ${kresdPort}, { kind = 'dns' })`,
        // Offline: no root trust anchor, no priming, no anchor updates.
        "trust_anchors.remove('.')",
        "modules.unload('ta_update')",
        "modules.unload('priming')",
        "modules.unload('detect_time_skew')",
        ...kresdDotForwarderLines(dotPort, files.ca, TLS_NAME),
        '',
      ].join('\n'),
    );
    daemons.push(startDaemon(kresd.path!, ['-n', '-c', join(kresdDir, 'kresd.conf'), kresdDir]));
    resolvers.push({ name: 'Knot Resolver', port: kresdPort });
    for (const r of resolvers) {
      await waitFor(`${r.name} to answer through fluxhound`, async () => (await ask(r.port, ANSWERED).catch(() => null))?.status === 'NOERROR', 30_000, 250).catch((err: Error) => {
        throw new Error(`${err.message}\n${daemons.map((d) => d.output()).join('\n---\n')}`);
      });
    }
  }, 120_000);

  afterAll(async () => {
    for (const d of daemons.reverse()) await d.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it.each(['Unbound', 'Knot Resolver'])('%s answers through fluxhound over TLS, and the listed name is blocked', async (name) => {
    const r = resolvers.find((x) => x.name === name)!;
    expect(await ask(r.port, ANSWERED)).toEqual({ status: 'NOERROR', addresses: ['192.0.2.80'] });
    const blocked = await ask(r.port, LISTED);
    expect(blocked.status).toBe('NXDOMAIN');
    expect(blocked.addresses).toEqual([]);
  });

  it('Unbound expecting another name on the certificate gets no answer through fluxhound (SERVFAIL)', async () => {
    const answer = await ask(wrongNamePort, ANSWERED);
    expect(answer.status).toBe('SERVFAIL');
    expect(answer.addresses).toEqual([]);
  });

  it('dig +tls +keepalive gets the DoT idle timeout (serve.dns.dot.idleMs) in edns-tcp-keepalive', async () => {
    const out = await new Promise<string>((resolve) => {
      execFile(dig.path!, ['+tls', `+tls-ca=${caFile}`, `+tls-hostname=${TLS_NAME}`, '+keepalive', '+time=5', '+tries=1', '@127.0.0.1', '-p', String(dotPort), ANSWERED, 'A'], { encoding: 'utf8', timeout: 20_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/TCP KEEPALIVE: 1\.5 secs/);
  });

  it('closes the resolvers\' idle connections (close_notify), and each resolver reconnects for its next query', async () => {
    const metric = async (pattern: RegExp): Promise<number> => {
      const text = await (await fetchWithToken(`http://127.0.0.1:${httpPort}/metrics`, tokens.read)).text();
      return Number(pattern.exec(text)?.[1] ?? 0);
    };
    const idleClosed = (): Promise<number> => metric(/fluxhound_net_refused_total\{listener="dns-tls",reason="idle"\} (\d+)/);
    const open = (): Promise<number> => metric(/fluxhound_net_connections_open\{listener="dns-tls"\} (\d+)/);
    const accepted = (): Promise<number> => metric(/fluxhound_net_connections_accepted_total\{listener="dns-tls"\} (\d+)/);
    // Every DoT connection gone (so no resolver can reuse one), at least two of them closed by fluxhound as idle.
    await waitFor('the idle DoT connections to be closed', async () => (await idleClosed()) >= 2 && (await open()) === 0, 20_000, 250);
    for (const r of resolvers) {
      const before = await accepted();
      expect(await ask(r.port, AGAIN)).toEqual({ status: 'NOERROR', addresses: ['192.0.2.81'] });
      // The answer came over a connection this resolver opened anew (no other client is asking now).
      expect(await accepted(), r.name).toBeGreaterThan(before);
    }
  });

  it('counts the resolvers on the dns-tls listener, their queries and the blocks in /metrics', async () => {
    const res = await fetchWithToken(`http://127.0.0.1:${httpPort}/metrics`, tokens.read);
    const text = await res.text();
    const accepted = Number(/fluxhound_net_connections_accepted_total\{listener="dns-tls"\} (\d+)/.exec(text)?.[1] ?? 0);
    // At least one connection from each resolver (no other client knows the DoT port).
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/fluxhound_dns_intel_blocked_total\{feed="dot-feed"\} [1-9]/);
    expect(text).not.toMatch(/fluxhound_net_refused_total\{listener="dns-tls",reason="(acl|frame_deadline)"\} [1-9]/);
  });
});
