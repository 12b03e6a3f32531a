/**
 * The real thing: Unbound sends its CLIENT_RESPONSE dnstap messages to a
 * running `fluxhound serve --dnstap ...` (a unix socket, and plain TCP when
 * this Unbound has dnstap-ip), while the test asks Unbound with dig and kdig.
 * Unbound answers from local-data: one name with 20 A records in 20 consumer
 * access networks (real announced ranges, src/corpus) and a 30 s TTL, and
 * benign names. The flux name must come out on fluxhound's stdout as an NDJSON
 * verdict while both daemons run; the benign names must not; SIGTERM must end
 * fluxhound with status 0.
 *
 * The same fluxhound also takes BIND 9 (AUTH_RESPONSE from a primary zone,
 * libfstrm's bidirectional writer) and Knot Resolver 5 (its dnstap module,
 * answers from hints), so the configuration lines the README gives for them
 * are tested too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/corpus/address-space.js';
import { EYEBALL_ASNS } from '../../src/corpus/asns.js';
import { Prng } from '../../src/corpus/prng.js';
import type { DnsObservation } from '../../src/model/observation.js';
import { decode, observationsOf } from '../../src/sources/conformance.case.js';
import { encodeDnstapFile } from '../support/dnstap-encode.js';
import { clientResponse, fluxAnswers, response } from '../../src/sources/dnstap/samples.case.js';
import { dnstapFormat } from '../../src/sources/dnstap/index.js';
import { framePool } from '../../bench/dnstap.js';
import { unboundServerLines } from '../../bench/unbound-config.js';
import { findBinary } from '../support/binaries.js';
import { CLI, ROOT, requireBuilt } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';


const unbound = findBinary('unbound', 'unbound');
const unboundCheckconf = findBinary('unbound-checkconf', 'unbound');
const dig = findBinary('dig', 'bind9-dnsutils');
const kdig = findBinary('kdig', 'knot-dnsutils');
const named = findBinary('named', 'bind9');
const kresd = findBinary('kresd', 'knot-resolver');
const missing = [unbound, dig, kdig].find((b) => b.missing !== null)?.missing ?? null;

/** Unbound built without --enable-dnstap cannot take part; that is a broken CI image, a skip elsewhere. */
function dnstapSupport(): string | null {
  if (unbound.path === null) return null;
  const version = spawnSync(unbound.path, ['-V'], { encoding: 'utf8' }).stdout;
  if (version.includes('--enable-dnstap')) return null;
  const reason = 'this unbound was built without --enable-dnstap';
  if (process.env.CI === 'true') throw new Error(reason);
  return reason;
}
const skipReason = missing ?? dnstapSupport();



/** 20 addresses, one in each of 20 consumer access networks, from the same data the enricher reads. */
function fluxAddresses(seed: number): string[] {
  const space = AddressSpace.load(EYEBALL_ASNS);
  const rng = new Prng(seed);
  return space
    .knownV4(EYEBALL_ASNS)
    .slice(0, 20)
    .map((asn) => space.pickV4Text(asn, rng));
}

function unboundConfig(dir: string, port: number, dnstap: string[], fluxName: string, addresses: readonly string[]): string {
  return [
    ...unboundServerLines(dir, port, `unbound-${port}.pid`),
    '  verbosity: 1',
    '  num-threads: 1',
    '  module-config: "iterator"',
    '  local-zone: "test." nodefault',
    '  local-zone: "flux-pay.test." static',
    '  local-zone: "benign.test." static',
    ...addresses.map((a) => `  local-data: "${fluxName}. 30 IN A ${a}"`),
    '  local-data: "www.benign.test. 3600 IN A 192.0.2.10"',
    '  local-data: "mail.benign.test. 3600 IN A 192.0.2.25"',
    '  local-data: "mail.benign.test. 3600 IN A 192.0.2.26"',
    'remote-control:',
    '  control-enable: no',
    'dnstap:',
    '  dnstap-enable: yes',
    '  dnstap-bidirectional: yes',
    ...dnstap.map((line) => `  ${line}`),
    '  dnstap-send-identity: yes',
    '  dnstap-send-version: yes',
    '  dnstap-log-client-query-messages: no',
    '  dnstap-log-client-response-messages: yes',
    '',
  ].join('\n');
}

interface Verdict {
  domain: string;
  verdict: string;
  flux: string | null;
  score: number;
}

describe.skipIf(skipReason !== null)(`dnstap from Unbound into fluxhound serve${skipReason === null ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dir = '';
  let fluxhound: Daemon | null = null;
  let stdout = '';
  const resolvers: Daemon[] = [];
  let tcpSupported = false;
  let tcpDnstapPort = 0;
  let socketPath = '';

  const verdicts = (): Verdict[] =>
    stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Verdict);

  async function startUnbound(name: string, dnstap: string[], fluxName: string, seed: number): Promise<{ daemon: Daemon; port: number }> {
    const port = await freePort();
    const config = join(dir, `${name}.conf`);
    writeFileSync(config, unboundConfig(dir, port, dnstap, fluxName, fluxAddresses(seed)));
    const daemon = startDaemon(unbound.path!, ['-d', '-c', config]);
    resolvers.push(daemon);
    await waitFor(`${name} to answer`, () => {
      const r = spawnSync(dig.path!, ['+short', '+time=1', '+tries=1', '@127.0.0.1', '-p', String(port), 'www.benign.test', 'A'], { encoding: 'utf8' });
      return r.stdout.includes('192.0.2.10');
    }, 30_000);
    return { daemon, port };
  }

  function ask(tool: 'dig' | 'kdig', port: number, name: string): string {
    // dig and kdig spell their timeout and retry options differently.
    const options = tool === 'dig' ? ['+time=2', '+tries=1'] : ['+timeout=2', '+retry=0'];
    const r = spawnSync(tool === 'dig' ? dig.path! : kdig.path!, ['+short', ...options, '@127.0.0.1', '-p', String(port), name, 'A'], { encoding: 'utf8' });
    return r.stdout;
  }

  /**
   * Asks the benign names, then the flux name, until the flux verdict shows on stdout. A producer drops
   * what it logs before its dnstap connection is up, so asking again makes its connect timing irrelevant;
   * each round's benign answers travel before its flux answer on the same connection, so they were read too.
   */
  async function untilFlagged(port: number, fluxName: string, benign: readonly string[]): Promise<Verdict> {
    return waitFor(
      `the ${fluxName} verdict on stdout`,
      () => {
        for (const name of benign) ask('kdig', port, name);
        ask('dig', port, fluxName);
        return verdicts().find((v) => v.domain === fluxName);
      },
      60_000,
      500,
    );
  }

  beforeAll(async () => {
    requireBuilt();
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-unbound-'));
    socketPath = join(dir, 'dnstap.sock');
    // Does this Unbound take dnstap over plain TCP (dnstap-ip with dnstap-tls: no)?
    const probe = join(dir, 'probe.conf');
    writeFileSync(probe, unboundConfig(dir, 5353, ['dnstap-ip: "127.0.0.1@6000"', 'dnstap-tls: no'], 'x.flux-pay.test', ['192.0.2.1']));
    tcpSupported = spawnSync(unboundCheckconf.path!, [probe], { encoding: 'utf8' }).status === 0;
    tcpDnstapPort = await freePort();
    const args = [CLI, 'serve', '--dnstap', `unix:${socketPath}`, '--log-level', 'info'];
    if (tcpSupported) args.push('--dnstap', `tcp:127.0.0.1:${tcpDnstapPort}`);
    fluxhound = startDaemon(process.execPath, args, { cwd: ROOT });
    fluxhound.process.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await waitFor('fluxhound to listen', () => (fluxhound!.output().match(/dnstap: listening/g)?.length ?? 0) === (tcpSupported ? 2 : 1), 60_000);
  }, 240_000);

  afterAll(async () => {
    for (const daemon of resolvers) await daemon.stop();
    await fluxhound?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('flags the flux name Unbound answers, over the unix socket, while both run', async () => {
    const { daemon, port } = await startUnbound('unbound-unix', [`dnstap-socket-path: "${socketPath}"`], 'login.flux-pay.test', 11);
    await waitFor('Unbound to connect to the dnstap socket', () => /"peer":"unix:[^"]*","msg":"dnstap: producer connected"/.test(fluxhound!.output()), 30_000);
    expect(ask('dig', port, 'www.benign.test')).toContain('192.0.2.10');
    expect(ask('kdig', port, 'mail.benign.test')).toContain('192.0.2.25');
    const answer = ask('dig', port, 'login.flux-pay.test');
    expect(answer.trim().split('\n')).toHaveLength(20);
    ask('kdig', port, 'login.flux-pay.test');
    const flagged = await untilFlagged(port, 'login.flux-pay.test', ['www.benign.test', 'mail.benign.test']);
    expect(flagged.verdict).toBe('fast-flux');
    expect(flagged.flux).toBe('single');
    expect(verdicts().filter((v) => v.domain.endsWith('benign.test'))).toEqual([]);
    expect(fluxhound!.process.exitCode).toBeNull();
    expect(daemon.process.exitCode).toBeNull();
  }, 120_000);

  it('flags a flux name sent over loopback TCP (dnstap-ip, dnstap-tls: no)', async (context) => {
    if (!tcpSupported) context.skip();
    const { daemon, port } = await startUnbound('unbound-tcp', [`dnstap-ip: "127.0.0.1@${tcpDnstapPort}"`, 'dnstap-tls: no'], 'cdn.flux-pay.test', 23);
    await waitFor('Unbound to connect over TCP', () => /"peer":"127\.0\.0\.1:\d+","msg":"dnstap: producer connected"/.test(fluxhound!.output()), 30_000);
    expect(ask('kdig', port, 'www.benign.test')).toContain('192.0.2.10');
    expect(ask('dig', port, 'cdn.flux-pay.test').trim().split('\n')).toHaveLength(20);
    const flagged = await untilFlagged(port, 'cdn.flux-pay.test', ['www.benign.test', 'mail.benign.test']);
    expect(flagged.verdict).toBe('fast-flux');
    expect(verdicts().filter((v) => v.domain.endsWith('benign.test'))).toEqual([]);
    expect(daemon.process.exitCode).toBeNull();
  }, 120_000);

  const connections = (): number => fluxhound!.output().match(/dnstap: producer connected/g)?.length ?? 0;

  it('flags a flux name BIND 9 serves from a primary zone (AUTH_RESPONSE)', async (context) => {
    if (named.path === null || !spawnSync(named.path, ['-V'], { encoding: 'utf8' }).stdout.includes('--enable-dnstap')) context.skip();
    const port = await freePort();
    const bind = join(dir, 'bind');
    mkdirSync(bind);
    const zone = ['$TTL 30', '@ IN SOA ns1 hostmaster 1 3600 600 86400 30', '@ IN NS ns1', 'ns1 IN A 192.0.2.53', 'www 3600 IN A 192.0.2.10'];
    for (const address of fluxAddresses(37)) zone.push(`pay IN A ${address}`);
    writeFileSync(join(bind, 'flux-bank.test.zone'), `${zone.join('\n')}\n`);
    writeFileSync(
      join(bind, 'named.conf'),
      [
        'options {',
        `  directory "${bind}";`,
        `  pid-file "${join(bind, 'named.pid')}";`,
        `  session-keyfile "${join(bind, 'session.key')}";`,
        `  managed-keys-directory "${bind}";`,
        `  listen-on port ${port} { 127.0.0.1; };`,
        '  listen-on-v6 { none; };',
        '  recursion no;',
        '  dnssec-validation no;',
        '  dnstap { auth response; client response; };',
        `  dnstap-output unix "${socketPath}";`,
        '  dnstap-identity "bind-test";',
        '};',
        `zone "flux-bank.test" { type primary; file "${join(bind, 'flux-bank.test.zone')}"; };`,
        '',
      ].join('\n'),
    );
    const before = connections();
    const daemon = startDaemon(named.path!, ['-g', '-n', '1', '-c', join(bind, 'named.conf')]);
    resolvers.push(daemon);
    await waitFor('BIND to connect to the dnstap socket', () => connections() > before, 60_000);
    expect(ask('dig', port, 'www.flux-bank.test')).toContain('192.0.2.10');
    expect(ask('kdig', port, 'pay.flux-bank.test').trim().split('\n')).toHaveLength(20);
    const flagged = await untilFlagged(port, 'pay.flux-bank.test', ['www.flux-bank.test']);
    expect(flagged.verdict).toBe('fast-flux');
    expect(verdicts().find((v) => v.domain === 'www.flux-bank.test')).toBeUndefined();
    expect(daemon.process.exitCode).toBeNull();
  }, 120_000);

  it('flags a flux name Knot Resolver answers from hints (its dnstap module)', async (context) => {
    if (kresd.path === null) context.skip();
    const port = await freePort();
    const kres = join(dir, 'kres');
    mkdirSync(kres);
    // Knot Resolver refuses special-use names such as .test, so these are .net names answered from hints only.
    const hosts = fluxAddresses(53).map((address) => `${address} web.flux-shop.net`);
    hosts.push('192.0.2.10 www.benign-shop.net');
    writeFileSync(join(kres, 'hosts'), `${hosts.join('\n')}\n`);
    writeFileSync(
      join(kres, 'config.lua'),
      [
        `net.listen('127.0.0.1', ${port}, { kind = 'dns' })`,
        'cache.size = 10 * MB',
        'modules = {',
        "  'hints > iterate',",
        '  dnstap = {',
        `    socket_path = '${socketPath}',`,
        '    client = { log_queries = false, log_responses = true },',
        '  },',
        '}',
        // Priming and trust-anchor refreshes go to loopback, never out.
        "hints.root({ ['a.root-servers.net.'] = '127.0.0.1' })",
        "trust_anchors.remove('.')",
        `hints.add_hosts('${join(kres, 'hosts')}')`,
        'hints.ttl(30)',
        '',
      ].join('\n'),
    );
    const before = connections();
    const daemon = startDaemon(kresd.path!, ['-n', '-c', join(kres, 'config.lua'), kres], { cwd: kres });
    resolvers.push(daemon);
    await waitFor('Knot Resolver to connect to the dnstap socket', () => connections() > before, 60_000);
    await waitFor('Knot Resolver to answer', () => ask('dig', port, 'www.benign-shop.net').includes('192.0.2.10'), 30_000);
    expect(ask('kdig', port, 'web.flux-shop.net').trim().split('\n')).toHaveLength(20);
    const flagged = await untilFlagged(port, 'web.flux-shop.net', ['www.benign-shop.net']);
    expect(flagged.verdict).toBe('fast-flux');
    expect(verdicts().find((v) => v.domain === 'www.benign-shop.net')).toBeUndefined();
    expect(daemon.process.exitCode).toBeNull();
  }, 120_000);

  it('stops on SIGTERM with status 0 and removes its socket', async () => {
    const child = fluxhound!.process;
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(existsSync(socketPath)).toBe(false);
    // Unbound keeps answering without its dnstap receiver.
    expect(resolvers.every((r) => r.process.exitCode === null)).toBe(true);
  }, 30_000);
});

describe('fluxhound serve --dnstap refuses what it should, in one line with status 2', () => {
  beforeAll(() => requireBuilt(), 240_000);

  const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'serve', ...args, '--log-level', 'silent'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

  it('analyze reads a dnstap capture (gzipped) and flags the flux name in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-dnstap-analyze-'));
    try {
      const flux = response('login.flux-pay.test', 'A', fluxAnswers('login.flux-pay.test', fluxAddresses(71)));
      const benign = response('www.benign.test', 'A', [{ type: 'A', name: 'www.benign.test', ttl: 3600, data: '192.0.2.10' }]);
      const path = join(dir, 'capture.fstrm.gz');
      writeFileSync(path, gzipSync(encodeDnstapFile([clientResponse(benign), clientResponse(flux), Buffer.from('not a dnstap frame')])));
      const r = spawnSync(process.execPath, [CLI, 'analyze', '--json', path], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(0);
      const out = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as Verdict);
      expect(out.map((v) => [v.domain, v.verdict])).toEqual([['login.flux-pay.test', 'fast-flux']]);
      expect(r.stderr).toContain(`skipped ${path}:3: dnstap: protobuf: `);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a non-loopback TCP address without --dnstap-allow-remote', () => {
    const r = run(['--dnstap', 'tcp:0.0.0.0:6000']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fluxhound: serve: --dnstap tcp:0\.0\.0\.0:6000: 0\.0\.0\.0 is not a loopback address.*--dnstap-allow-remote/)]);
  });

  it('a path that is a regular file, which it must not delete', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-dnstap-cli-'));
    try {
      const path = join(dir, 'not-a-socket');
      writeFileSync(path, 'data');
      const r = run(['--dnstap', `unix:${path}`]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`fluxhound: serve: dnstap: cannot listen on unix:${path}: ${path} exists and is not a socket`]);
      expect(existsSync(path)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** One response as `kdig -G` prints it: question, answers, and the client ("To ADDRESS@PORT"). */
interface KdigResponse {
  qname: string;
  qtype: string;
  answers: string[];
  client: string;
}

function parseKdig(text: string): KdigResponse[] {
  return text
    .split(';; ->>HEADER<<-')
    .slice(1)
    .map((block) => {
      const lines = block.split('\n');
      const question = lines[lines.indexOf(';; QUESTION SECTION:') + 1]!.replace(/^;; /, '').trim().split(/\s+/);
      const answers: string[] = [];
      const start = lines.indexOf(';; ANSWER SECTION:');
      if (start >= 0) for (let i = start + 1; i < lines.length && lines[i]!.trim() !== ''; i++) answers.push(lines[i]!.trim().split(/\s+/).join(' '));
      const to = /^;; To (\S+)@\d+/m.exec(block);
      return { qname: question[0]!.replace(/\.$/, ''), qtype: question[2]!, answers, client: to?.[1] ?? '' };
    });
}

describe.skipIf(kdig.path === null)('dnstap files read the same by kdig -G and by fluxhound', () => {
  const asKdig = (o: DnsObservation): KdigResponse => ({
    qname: o.qname,
    qtype: o.qtype,
    answers: o.answers.map((r) => `${r.name}. ${r.ttl} IN ${r.type} ${r.type === 'CNAME' ? `${r.data}.` : r.data}`),
    client: o.client ?? '',
  });

  it('the go-dnscollector fixture', () => {
    const path = join(ROOT, 'test', 'fixtures', 'dnstap', 'go-dnscollector.fstrm');
    const kdigView = parseKdig(execFileSync(kdig.path!, ['-G', path], { encoding: 'utf8' }));
    const ours = observationsOf(decode(dnstapFormat, [readFileSync(path)]));
    expect(kdigView).toEqual([{ qname: 'www.google.com', qtype: 'A', answers: ['www.google.com. 273 IN A 216.58.213.68'], client: '172.19.0.1' }]);
    expect(ours.map(asKdig)).toEqual(kdigView);
  });

  it('the frames the tests and the benchmark write (A, AAAA, CNAME chains, NXDOMAIN, flux sets)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-kdig-'));
    try {
      const path = join(dir, 'bench.fstrm');
      const bytes = encodeDnstapFile(framePool(300, 9));
      writeFileSync(path, bytes);
      const kdigView = parseKdig(execFileSync(kdig.path!, ['-G', path], { encoding: 'utf8', maxBuffer: 16 << 20 }));
      expect(kdigView).toHaveLength(300);
      expect(observationsOf(decode(dnstapFormat, [bytes])).map(asKdig)).toEqual(kdigView);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
