/**
 * The deployment kit (deploy/), each piece read by the real program that
 * reads it in production, on the shipped file with only ports and paths
 * substituted (substitute() fails when a substituted text is not in the file,
 * so the kit and this test cannot drift apart):
 *
 * - the systemd units: `systemd-analyze verify` and `systemd-analyze
 *   security --offline=yes` (the exposure level), the sysusers entry by
 *   `systemd-sysusers --root`;
 * - deploy/fluxhound/fluxhound.yaml by the real config loader, and started as
 *   the unit's ExecStart starts it (its flags taken from the unit);
 * - unbound-checkconf, named-checkconf, pdns_recursor --config=check;
 * - each resolver started with its shipped config against the running
 *   fluxhound (RPZ primary or RPZ file), answering NXDOMAIN for a flagged
 *   name and the benign one as usual;
 * - the reload hook: after fluxhound rewrites the RPZ file with a newly
 *   flagged name, the hook's command (from fluxhound-rpz-reload.service)
 *   makes the running Unbound block it; Knot Resolver follows by itself.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startAnsweringAuthority, type AnsweringAuthority } from '../support/answer-all.js';
import { findBinary } from '../support/binaries.js';
import { CLI, requireBuilt, ROOT } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';

const DEPLOY = join(ROOT, 'deploy');
const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
const shipped = (path: string): string => readFileSync(join(DEPLOY, path), 'utf8');

const systemdAnalyze = findBinary('systemd-analyze', 'systemd');
const sysusers = findBinary('systemd-sysusers', 'systemd');
const tmpfiles = findBinary('systemd-tmpfiles', 'systemd');
const dig = findBinary('dig', 'bind9-dnsutils');
const unbound = findBinary('unbound', 'unbound');
const unboundCheckconf = findBinary('unbound-checkconf', 'unbound');
const unboundControlSetup = findBinary('unbound-control-setup', 'unbound');
const named = findBinary('named', 'bind9');
const namedCheckconf = findBinary('named-checkconf', 'bind9');
const tsigKeygen = findBinary('tsig-keygen', 'bind9');
const kresd = findBinary('kresd', 'knot-resolver');
const recursor = findBinary('pdns_recursor', 'pdns-recursor');
const openssl = findBinary('openssl', 'openssl');

/** Flagged by `serve --follow` on the example (a double-flux name); its registered domain's wildcard covers UNDER. */
const FLAGGED = 'www.zevizantorzo592.pw';
const UNDER = 'cdn.assets.zevizantorzo592.pw';
/** Appended during the test: the example's my.vikoko.info answers under a new name. */
const NEW_FLUX = 'cdn.zorvexaqin.top';
const BENIGN = 'www.paper-drive.com';
/** What the authority behind every resolver answers for every name: a blocked name would resolve without the RPZ. */
const ANSWER = '198.51.100.10';

const run = promisify(execFile);

/** Runs a program; its exit code, stdout and stderr, whatever the code. Never blocks this process (the authority lives here). */
async function exec(file: string, args: string[], options: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(file, args, { encoding: 'utf8', timeout: 60_000, cwd: options.cwd }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number | string; stdout?: string; stderr?: string }) => ({ code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(err.code) }),
  );
}

/** The shipped text with each [from, to] replaced everywhere; a `from` the text does not hold is an error. */
function substitute(text: string, pairs: [string, string][], what: string): string {
  let out = text;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`${what} no longer holds '${from}': update deploy-kit.test.ts with the kit`);
    out = out.split(from).join(to);
  }
  return out;
}

/** The words of a unit's `KEY=` line (ExecStart, ExecReload...); systemd splits them on whitespace. */
function unitLine(unit: string, key: string): string[] {
  const line = unit.split('\n').find((l) => l.startsWith(`${key}=`));
  if (line === undefined) throw new Error(`no ${key}= in the unit`);
  return line.slice(key.length + 1).trim().split(/\s+/);
}

/** Replaces words of a command line (a word may become several: the CLI is `node main.js`). */
function substituteWords(words: string[], pairs: Record<string, string[]>): string[] {
  for (const from of Object.keys(pairs)) if (!words.includes(from)) throw new Error(`the command line no longer holds '${from}': ${words.join(' ')}`);
  return words.flatMap((w) => pairs[w] ?? [w]);
}

async function lookup(port: number, name: string): Promise<{ status: string; answers: string[] }> {
  const { stdout } = await exec(dig.path!, ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3', '+nocookie', name, 'A']);
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? 'TIMEOUT';
  const answers = [...stdout.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!);
  return { status, answers };
}

/** The example's my.vikoko.info A answers under NEW_FLUX, every 20 s after the example ends. */
function newFluxLines(): string {
  const lines = readFileSync(EXAMPLE, 'utf8')
    .split('\n')
    .filter((l) => l.split('\t')[9] === 'my.vikoko.info' && l.split('\t')[13] === 'A')
    .slice(0, 8);
  return (
    lines
      .map((l, i) => {
        const f = l.split('\t');
        f[0] = String(1_743_653_000 + (i + 1) * 20);
        f[9] = NEW_FLUX;
        return f.join('\t');
      })
      .join('\n') + '\n'
  );
}

/** The `server:` lines a test's Unbound needs beside the shipped ones: a folder of its own, foreground, no chroot, stderr. */
function unboundTestLines(dir: string): string {
  return [
    'server:',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, 'unbound.pid')}"`,
    '  username: ""',
    '  chroot: ""',
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  so-reuseport: no',
    '  do-ip6: no',
    // The authority every resolver asks lives on 127.0.0.1.
    '  do-not-query-localhost: no',
    '',
  ].join('\n');
}

describe('the systemd units', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-deploy-units-'));
  const units = ['fluxhound.service', 'fluxhound-rpz-reload.path', 'fluxhound-rpz-reload.service'];
  let systemdVersion = 0;

  beforeAll(async () => {
    if (systemdAnalyze.path === null) return;
    systemdVersion = Number(/systemd (\d+)/.exec((await exec(systemdAnalyze.path, ['--version'])).stdout)?.[1] ?? 0);
    // verify checks that ExecStart's program exists and is executable: the installed path stands for the one npm installs.
    writeFileSync(join(dir, 'fluxhound.service'), substitute(shipped('systemd/fluxhound.service'), [['/usr/local/bin/fluxhound', process.execPath]], 'fluxhound.service'));
    for (const unit of units.slice(1)) copyFileSync(join(DEPLOY, 'systemd', unit), join(dir, unit));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(systemdAnalyze.path === null)('systemd-analyze verify accepts every unit, and would report a mistake', async () => {
    const clean = await exec(systemdAnalyze.path!, ['verify', ...units.map((u) => join(dir, u))]);
    expect(clean, clean.stderr).toMatchObject({ code: 0, stderr: '' });
    // The same check on a unit with one directive misspelt: verify really reads these files.
    const broken = join(dir, 'broken', 'fluxhound.service');
    mkdirSync(join(dir, 'broken'));
    writeFileSync(broken, substitute(readFileSync(join(dir, 'fluxhound.service'), 'utf8'), [['ProtectClock=yes', 'ProtectClok=yes']], 'fluxhound.service'));
    expect((await exec(systemdAnalyze.path!, ['verify', broken])).stderr).toMatch(/Unknown key 'ProtectClok'/);
  });

  it.skipIf(systemdAnalyze.path === null)('systemd-analyze security rates fluxhound.service OK (exposure at most 2.0) with only the exposures chosen on purpose', async (test) => {
    if (systemdVersion < 250) test.skip(`systemd ${systemdVersion} has no security --offline (250 and later)`);
    const result = await exec(systemdAnalyze.path!, ['security', '--offline=yes', '--no-pager', join(dir, 'fluxhound.service')]);
    const level = /Overall exposure level for fluxhound\.service: ([\d.]+) (\w+)/.exec(result.stdout);
    expect(level, result.stdout + result.stderr).not.toBeNull();
    console.log(`deploy-kit: systemd ${systemdVersion} security --offline: fluxhound.service exposure ${level![1]} ${level![2]}`);
    expect(Number(level![1])).toBeLessThanOrEqual(2.0);
    expect(level![2]).toBe('OK');
    const failed = result.stdout
      .split('\n')
      .filter((l) => l.startsWith('✗'))
      .map((l) => l.slice(2).split(/\s+/)[0]!);
    // Each ✗ is a choice the unit or deploy/README.md explains: a network daemon (sockets, any peer address) on
    // port 53 (the one capability, ambient) writing an RPZ file the resolver's group reads, on V8's JIT; the rest
    // (ProcSubset, PrivateUsers, RootDirectory, @resources, ProtectClock's rtc read) would cost more than they give.
    const chosen = [
      'RestrictAddressFamilies=~AF_(INET|INET6)',
      'RestrictAddressFamilies=~AF_UNIX',
      'PrivateNetwork=',
      'IPAddressDeny=',
      'CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)',
      'AmbientCapabilities=',
      'UMask=',
      'MemoryDenyWriteExecute=',
      'ProcSubset=',
      'PrivateUsers=',
      'RootDirectory=/RootImage=',
      'SystemCallFilter=~@resources',
      'DeviceAllow=',
    ];
    expect(failed.filter((f) => !chosen.includes(f))).toEqual([]);
    expect(failed).toContain('MemoryDenyWriteExecute=');
  });

  it.skipIf(systemdAnalyze.path === null)('the RPZ reload service is rated OK too', async (test) => {
    if (systemdVersion < 250) test.skip(`systemd ${systemdVersion} has no security --offline`);
    const result = await exec(systemdAnalyze.path!, ['security', '--offline=yes', '--no-pager', join(dir, 'fluxhound-rpz-reload.service')]);
    const level = /Overall exposure level for fluxhound-rpz-reload\.service: ([\d.]+) (\w+)/.exec(result.stdout);
    expect(level, result.stdout + result.stderr).not.toBeNull();
    console.log(`deploy-kit: fluxhound-rpz-reload.service exposure ${level![1]} ${level![2]}`);
    expect(Number(level![1])).toBeLessThanOrEqual(2.0);
  });

  it.skipIf(sysusers.path === null)('systemd-sysusers creates the fluxhound system user and group the unit runs as', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    const result = await exec(sysusers.path!, [`--root=${root}`, join(DEPLOY, 'systemd', 'fluxhound.sysusers')]);
    expect(result.code, result.stderr).toBe(0);
    const unit = shipped('systemd/fluxhound.service');
    expect(unitLine(unit, 'User')).toEqual(['fluxhound']);
    expect(readFileSync(join(root, 'etc', 'passwd'), 'utf8')).toMatch(/^fluxhound:x:\d+:\d+:[^:]*:\/var\/lib\/fluxhound:\/usr\/sbin\/nologin$/m);
    expect(readFileSync(join(root, 'etc', 'group'), 'utf8')).toMatch(/^fluxhound:x:\d+:/m);
  });

  it.skipIf(sysusers.path === null || tmpfiles.path === null)('systemd-tmpfiles makes the RPZ folder the unit writes into (fluxhound:unbound, setgid 2750) and an empty zone Unbound loads', async () => {
    const root = join(dir, 'tmpfiles-root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    // The group the resolver's package makes (unbound here), then fluxhound's user.
    writeFileSync(join(dir, 'unbound.sysusers'), 'g unbound -\n');
    expect((await exec(sysusers.path!, [`--root=${root}`, join(DEPLOY, 'systemd', 'fluxhound.sysusers'), join(dir, 'unbound.sysusers')])).code).toBe(0);
    const made = await exec(tmpfiles.path!, [`--root=${root}`, '--create', join(DEPLOY, 'systemd', 'fluxhound.tmpfiles')]);
    expect(made.code, made.stderr).toBe(0);
    const folder = unitLine(shipped('systemd/fluxhound.service'), 'ReadWritePaths')[0]!;
    const stat = statSync(join(root, folder));
    const id = (file: string, name: string): number => Number(new RegExp(`^${name}:x:(\\d+):`, 'm').exec(readFileSync(join(root, 'etc', file), 'utf8'))![1]);
    expect(stat.mode & 0o7777).toBe(0o2750);
    expect(stat.uid).toBe(id('passwd', 'fluxhound'));
    expect(stat.gid).toBe(id('group', 'unbound'));
    // The empty zone, for a resolver that starts before fluxhound's first write: the file the hook watches, and Unbound loads it.
    const zone = unitLine(shipped('systemd/fluxhound-rpz-reload.path'), 'PathChanged')[0]!;
    expect(statSync(join(root, zone)).mode & 0o777).toBe(0o640);
    if (unboundCheckconf.path !== null && unboundControlSetup.path !== null) {
      await exec(unboundControlSetup.path, ['-d', root]);
      const conf = join(root, 'unbound.conf');
      writeFileSync(conf, substitute(shipped('unbound/fluxhound-rpz-file.conf'), [[folder, join(root, folder)], ['/etc/unbound', root]], 'unbound/fluxhound-rpz-file.conf'));
      const check = await exec(unboundCheckconf.path, [conf]);
      expect(check, check.stderr).toMatchObject({ code: 0 });
    }
  });
});

describe('deploy/fluxhound', () => {
  it('fluxhound.yaml loads with the real config loader, and every path in it is one the unit lets the daemon use', () => {
    const config = loadConfig(join(DEPLOY, 'fluxhound', 'fluxhound.yaml'));
    expect(config.serve.dns.listen).toBe('0.0.0.0:53');
    expect(config.serve.dns.upstreams.length).toBeGreaterThan(0);
    expect(config.customers.map((c) => c.id)).toEqual(['acme', 'globex']);
    const unit = shipped('systemd/fluxhound.service');
    const dirs = {
      state: `/var/lib/${unitLine(unit, 'StateDirectory')[0]}/`,
      logs: `/var/log/${unitLine(unit, 'LogsDirectory')[0]}/`,
      config: `${dirname(unitLine(unit, 'ExecStart')[unitLine(unit, 'ExecStart').indexOf('-c') + 1]!)}/`,
    };
    // ProtectSystem=strict: the daemon writes only into its State/Logs directories (and the RPZ folder).
    const { serve } = config;
    for (const written of [serve.store.path, serve.reports.dir]) expect(written?.startsWith(dirs.state), String(written)).toBe(true);
    expect(serve.querylog.ndjson?.startsWith(dirs.logs)).toBe(true);
    for (const read of [serve.http.tokens, serve.http.tls.cert, serve.http.tls.key]) expect(read?.startsWith(dirs.config), String(read)).toBe(true);
    // The RPZ file the unit writes lies in the folder it makes writable, and is the file the reload hook watches.
    const rpzFile = unitLine(unit, 'ExecStart')[unitLine(unit, 'ExecStart').indexOf('--rpz-file') + 1]!;
    expect(rpzFile.startsWith(`${unitLine(unit, 'ReadWritePaths')[0]}/`)).toBe(true);
    expect(unitLine(shipped('systemd/fluxhound-rpz-reload.path'), 'PathChanged')).toEqual([rpzFile]);
  });

  it('fluxhound.default: every flag its FLUXHOUND_OPTS examples and the unit give is a flag of fluxhound serve', async () => {
    requireBuilt();
    const examples = [...shipped('systemd/fluxhound.default').matchAll(/^#?FLUXHOUND_OPTS="([^"]*)"$/gm)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThan(1);
    const help = (await exec(process.execPath, [CLI, 'serve', '--help'])).stdout;
    const flags = examples.flatMap((e) => e.split(/\s+/).filter((w) => w.startsWith('--')));
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of [...flags, ...unitLine(shipped('systemd/fluxhound.service'), 'ExecStart').filter((w) => w.startsWith('-'))]) {
      expect(help, flag).toMatch(new RegExp(`(^|[\\s,])${flag}[\\s,]`, 'm'));
    }
  });

  it('tokens.example: TOKEN ROLE NAME lines, roles read | write | admin, 64 hex digits as openssl rand -hex 32 makes', () => {
    const text = shipped('fluxhound/tokens.example');
    expect(text).toContain('openssl rand -hex 32');
    const entries = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(entries.length).toBeGreaterThan(0);
    for (const line of entries) expect(line).toMatch(/^[0-9a-f]{64} (read|write|admin) \S+$/);
    expect(new Set(entries.map((l) => l.split(' ')[1]))).toEqual(new Set(['read', 'write', 'admin']));
  });
});

describe('the resolver configs, checked by the resolvers own tools', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-deploy-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(unboundCheckconf.path === null)('unbound-checkconf: the RPZ-primary config and the RPZ-file config', async () => {
    const primary = join(dir, 'unbound-primary.conf');
    writeFileSync(primary, substitute(shipped('unbound/fluxhound.conf'), [['/var/lib/unbound', dir]], 'unbound/fluxhound.conf'));
    const a = await exec(unboundCheckconf.path!, [primary]);
    expect(a, a.stderr).toMatchObject({ code: 0 });
    expect(a.stdout).toMatch(/no errors/);
    // The file config needs its zone file to exist (as fluxhound writes it at start) and the control keys.
    if (unboundControlSetup.path !== null) await exec(unboundControlSetup.path, ['-d', dir]);
    writeFileSync(join(dir, 'fluxhound.rpz'), '$ORIGIN rpz.fluxhound.\n$TTL 60\n@ SOA localhost. hostmaster.localhost. 1 300 60 604800 60\n@ NS localhost.\n');
    const file = join(dir, 'unbound-file.conf');
    writeFileSync(file, substitute(shipped('unbound/fluxhound-rpz-file.conf'), [['/var/lib/fluxhound-rpz', dir], ['/etc/unbound', dir]], 'unbound/fluxhound-rpz-file.conf'));
    const b = await exec(unboundCheckconf.path!, [file]);
    expect(b, b.stderr).toMatchObject({ code: 0 });
    expect(b.stdout).toMatch(/no errors/);
  });

  it.skipIf(namedCheckconf.path === null || tsigKeygen.path === null)('named-checkconf: named.conf.fluxhound with a key from tsig-keygen', async () => {
    const key = await exec(tsigKeygen.path!, ['-a', 'hmac-sha256', 'fluxhound-rpz']);
    writeFileSync(join(dir, 'fluxhound-rpz.key'), key.stdout);
    const conf = join(dir, 'named.conf');
    writeFileSync(conf, substitute(shipped('bind/named.conf.fluxhound'), [['/etc/bind', dir], ['/var/cache/bind', dir]], 'bind/named.conf.fluxhound'));
    const result = await exec(namedCheckconf.path!, [conf]);
    expect(result, result.stderr + result.stdout).toMatchObject({ code: 0, stdout: '', stderr: '' });
    // ...and it does read the key file it includes: a key without its secret fails the check.
    writeFileSync(join(dir, 'fluxhound-rpz.key'), 'key "fluxhound-rpz" { algorithm hmac-sha256; };\n');
    const broken = await exec(namedCheckconf.path!, [conf]);
    expect(broken.code).not.toBe(0);
    expect(broken.stdout + broken.stderr).toMatch(/key 'fluxhound-rpz' must have both 'secret' and 'algorithm'/);
  });

  it.skipIf(recursor.path === null)('pdns_recursor --config=check: recursor.conf', async () => {
    const pdir = join(dir, 'powerdns');
    mkdirSync(pdir);
    writeFileSync(join(pdir, 'recursor.conf'), substitute(shipped('powerdns/recursor.conf'), [['/etc/powerdns', pdir]], 'powerdns/recursor.conf'));
    const ok = await exec(recursor.path!, [`--config-dir=${pdir}`, '--config=check']);
    expect(ok.code, ok.stderr).toBe(0);
    writeFileSync(join(pdir, 'recursor.conf'), `${readFileSync(join(pdir, 'recursor.conf'), 'utf8')}no-such-setting=1\n`);
    expect((await exec(recursor.path!, [`--config-dir=${pdir}`, '--config=check'])).code).not.toBe(0);
  });
});

interface Resolver {
  name: string;
  port: number;
  daemon: Daemon;
}

describe.skipIf(dig.path === null)('the kit running: fluxhound as the unit starts it, each resolver on its shipped config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-deploy-'));
  const log = join(dir, 'dns.log');
  const rpzDir = join(dir, 'rpz');
  const rpzFile = join(rpzDir, 'fluxhound.rpz');
  const keyFile = join(dir, 'fluxhound-rpz.key');
  const daemons: Daemon[] = [];
  const resolvers: Resolver[] = [];
  let authority: AnsweringAuthority | undefined;
  let fluxhound: Daemon;
  let forwarderPort = 0;
  let unboundFile: { port: number; conf: string } | null = null;

  beforeAll(async () => {
    requireBuilt();
    authority = await startAnsweringAuthority(() => ANSWER);
    for (const sub of ['state', 'log', 'etc/tls', 'rpz']) mkdirSync(join(dir, sub), { recursive: true });
    // Everything but the closing line: the file keeps growing, as Zeek's current/dns.log does.
    writeFileSync(log, readFileSync(EXAMPLE, 'utf8').replace(/#close[^\n]*\n?$/, ''));
    if (tsigKeygen.path !== null) writeFileSync(keyFile, (await exec(tsigKeygen.path, ['-a', 'hmac-sha256', 'fluxhound-rpz'])).stdout);
    if (openssl.path !== null) {
      const cert = await exec(openssl.path, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'etc/tls/privkey.pem'), '-out', join(dir, 'etc/tls/fullchain.pem')]);
      if (cert.code !== 0) throw new Error(`openssl req: ${cert.stderr}`);
    }
    copyFileSync(join(DEPLOY, 'fluxhound', 'tokens.example'), join(dir, 'etc', 'tokens'));

    const [rpzPort, signedPort, httpPort, syslogPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    forwarderPort = await freePort();
    const ports = {
      unboundPrimary: unbound.path === null ? 0 : await freePort(),
      unboundFile: unbound.path === null ? 0 : await freePort(),
      unboundControl: await freePort(),
      bind: named.path === null ? 0 : await freePort(),
      kresd: kresd.path === null ? 0 : await freePort(),
      pdns: recursor.path === null ? 0 : await freePort(),
    };

    // fluxhound as fluxhound.service starts it: the shipped config and the unit's ExecStart, ports and paths substituted;
    // FLUXHOUND_OPTS (the unit's EnvironmentFile) brings the input, a replay of the example log, and the NOTIFY target.
    const config = join(dir, 'etc', 'fluxhound.yaml');
    writeFileSync(
      config,
      substitute(
        shipped('fluxhound/fluxhound.yaml'),
        [
          ['"0.0.0.0:53"', `"127.0.0.1:${forwarderPort}"`],
          // Topology B: fluxhound's upstream is the resolver (here the Unbound on the RPZ primary).
          ['"127.0.0.1:5353"', `"127.0.0.1:${ports.unboundPrimary || authority.port}"`],
          ['"127.0.0.1:8443"', `"127.0.0.1:${httpPort}"`],
          ['"127.0.0.1:514"', `"127.0.0.1:${syslogPort}"`],
          ['/var/lib/fluxhound/', `${dir}/state/`],
          ['/var/log/fluxhound/', `${dir}/log/`],
          ['/etc/fluxhound/', `${dir}/etc/`],
        ],
        'fluxhound/fluxhound.yaml',
      ),
    );
    const unit = shipped('systemd/fluxhound.service');
    const opts = ['--follow', log, '--follow-interval', '100', '--no-flags', '--no-reference', ...(ports.unboundPrimary ? ['--rpz-notify', `127.0.0.1:${ports.unboundPrimary}`] : [])];
    const [program, ...args] = substituteWords(unitLine(unit, 'ExecStart'), {
      '/usr/local/bin/fluxhound': [process.execPath, CLI],
      '/etc/fluxhound/fluxhound.yaml': [config],
      '/var/lib/fluxhound-rpz/fluxhound.rpz': [rpzFile],
      '127.0.0.1:5300': [`127.0.0.1:${rpzPort}`],
      $FLUXHOUND_OPTS: opts,
    });
    // With the unit's UMask and WorkingDirectory.
    const umask = unitLine(unit, 'UMask')[0]!;
    const [cwd] = substituteWords(unitLine(unit, 'WorkingDirectory'), { '/var/lib/fluxhound': [join(dir, 'state')] });
    fluxhound = startDaemon('/bin/sh', ['-c', `umask ${umask} && exec "$@"`, 'sh', program!, ...args], { cwd });
    daemons.push(fluxhound);
    // BIND and the PowerDNS Recursor take the zone signed: a second RPZ primary with the TSIG key (Unbound cannot sign transfers).
    if (tsigKeygen.path !== null && (ports.bind || ports.pdns)) {
      const notify = ports.bind ? ['--rpz-notify', `127.0.0.1:${ports.bind}`] : [];
      daemons.push(startDaemon(process.execPath, [CLI, 'serve', '--rpz-server', `127.0.0.1:${signedPort}`, '--tsig-key-file', keyFile, ...notify, '--follow', log, '--follow-interval', '100', '--no-flags', '--no-reference'], { cwd: dir }));
    }
    await waitFor('fluxhound to write the flagged name into the RPZ file', () => existsSync(rpzFile) && readFileSync(rpzFile, 'utf8').includes(`\n${FLAGGED} CNAME .`), 90_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${fluxhound.output().slice(-3000)}`);
    });

    if (unbound.path !== null) {
      const udir = join(dir, 'unbound-primary');
      mkdirSync(udir);
      const conf = join(udir, 'unbound.conf');
      const body = substitute(shipped('unbound/fluxhound.conf'), [['127.0.0.1@5353', `127.0.0.1@${ports.unboundPrimary}`], ['127.0.0.1@5300', `127.0.0.1@${rpzPort}`], ['/var/lib/unbound', udir]], 'unbound/fluxhound.conf');
      writeFileSync(conf, `${unboundTestLines(udir)}${body}\nforward-zone:\n  name: "."\n  forward-addr: 127.0.0.1@${authority.port}\n`);
      const d = startDaemon(unbound.path, ['-d', '-c', conf], { cwd: udir });
      daemons.push(d);
      resolvers.push({ name: 'Unbound (RPZ primary)', port: ports.unboundPrimary, daemon: d });

      if (unboundControlSetup.path !== null) {
        const fdir = join(dir, 'unbound-file');
        mkdirSync(fdir);
        await exec(unboundControlSetup.path, ['-d', fdir]);
        const fconf = join(fdir, 'unbound.conf');
        const fbody = substitute(
          shipped('unbound/fluxhound-rpz-file.conf'),
          [['127.0.0.1@5353', `127.0.0.1@${ports.unboundFile}`], ['control-port: 8953', `control-port: ${ports.unboundControl}`], ['/etc/unbound', fdir], ['/var/lib/fluxhound-rpz', rpzDir]],
          'unbound/fluxhound-rpz-file.conf',
        );
        writeFileSync(fconf, `${unboundTestLines(fdir)}${fbody}\nforward-zone:\n  name: "."\n  forward-addr: 127.0.0.1@${authority.port}\n`);
        const f = startDaemon(unbound.path, ['-d', '-c', fconf], { cwd: fdir });
        daemons.push(f);
        resolvers.push({ name: 'Unbound (RPZ file)', port: ports.unboundFile, daemon: f });
        unboundFile = { port: ports.unboundFile, conf: fconf };
      }
    }
    if (named.path !== null && tsigKeygen.path !== null) {
      const bdir = join(dir, 'bind');
      mkdirSync(bdir);
      copyFileSync(keyFile, join(bdir, 'fluxhound-rpz.key'));
      const conf = join(bdir, 'named.conf');
      const body = substitute(
        shipped('bind/named.conf.fluxhound'),
        [
          ['/etc/bind', bdir],
          ['"/var/cache/bind";', `"${bdir}"; pid-file none;`],
          ['port 5353', `port ${ports.bind}`],
          ['port 5300', `port ${signedPort}`],
          // The test's authority is unsigned and no root is reachable: validation would turn every answer into SERVFAIL.
          ['dnssec-validation auto;', 'dnssec-validation no;'],
        ],
        'bind/named.conf.fluxhound',
      );
      writeFileSync(conf, `${body}\nzone "." { type forward; forward only; forwarders { 127.0.0.1 port ${authority.port}; }; };\n`);
      const d = startDaemon(named.path, ['-g', '-c', conf], { cwd: bdir });
      daemons.push(d);
      resolvers.push({ name: 'BIND', port: ports.bind, daemon: d });
    }
    if (kresd.path !== null) {
      const kdir = join(dir, 'kresd');
      mkdirSync(join(kdir, 'run'), { recursive: true });
      const conf = join(kdir, 'kresd.conf');
      const body = substitute(shipped('knot-resolver/kresd.conf'), [["'127.0.0.1', 5353", `'127.0.0.1', ${ports.kresd}`], ['/var/lib/fluxhound-rpz', rpzDir]], 'knot-resolver/kresd.conf');
      // After the shipped policy: no root trust anchor or priming (no Internet here); everything else from the test's authority.
      const tail = ["trust_anchors.remove('.')", "modules.unload('ta_update')", "modules.unload('priming')", "modules.unload('detect_time_skew')", `policy.add(policy.all(policy.STUB('127.0.0.1@${authority.port}')))`, ''];
      writeFileSync(conf, `${body}\n${tail.join('\n')}`);
      const d = startDaemon(kresd.path, ['-n', '-c', conf, join(kdir, 'run')], { cwd: kdir });
      daemons.push(d);
      resolvers.push({ name: 'Knot Resolver (RPZ file)', port: ports.kresd, daemon: d });
    }
    if (recursor.path !== null && tsigKeygen.path !== null) {
      const pdir = join(dir, 'powerdns');
      mkdirSync(pdir);
      copyFileSync(keyFile, join(pdir, 'fluxhound-rpz.key'));
      writeFileSync(join(pdir, 'recursor.conf'), substitute(shipped('powerdns/recursor.conf'), [['local-port=5353', `local-port=${ports.pdns}`], ['/etc/powerdns', pdir]], 'powerdns/recursor.conf'));
      writeFileSync(join(pdir, 'fluxhound-rpz.lua'), substitute(shipped('powerdns/rpz.lua'), [['/etc/powerdns', pdir], ['127.0.0.1:5300', `127.0.0.1:${signedPort}`]], 'powerdns/rpz.lua'));
      const d = startDaemon(
        recursor.path,
        [`--config-dir=${pdir}`, `--socket-dir=${pdir}`, '--daemon=no', '--write-pid=no', '--disable-syslog=yes', '--threads=1', `--forward-zones=.=127.0.0.1:${authority.port}`, '--dont-query=', '--dnssec=off', '--security-poll-suffix=', '--loglevel=6'],
        { cwd: pdir },
      );
      daemons.push(d);
      resolvers.push({ name: 'PowerDNS Recursor (RPZ primary, TSIG)', port: ports.pdns, daemon: d });
    }
  }, 240_000);

  afterAll(async () => {
    for (const d of daemons.reverse()) await d.stop();
    await authority?.close();
    if (process.env.DEPLOY_KIT_DEBUG) for (const r of resolvers) console.log(`--- ${r.name}\n${r.daemon.output().slice(-4000)}`);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('fluxhound started from the unit and the shipped config: its forwarder refuses the flagged name through the resolver and answers the benign one', { timeout: 60_000 }, async () => {
    expect(fluxhound.output()).toMatch(/rpz-server listening/);
    // Under the unit's UMask the RPZ file is readable by the resolver's group (the folder's, setgid in production), by no one else.
    expect(statSync(rpzFile).mode & 0o777).toBe(0o640);
    const blocked = await waitFor(`fluxhound's forwarder to block ${FLAGGED}`, async () => ((await lookup(forwarderPort, FLAGGED)).status === 'NXDOMAIN' ? true : undefined), 30_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${fluxhound.output().slice(-3000)}`);
    });
    expect(blocked).toBe(true);
    expect(await lookup(forwarderPort, BENIGN)).toEqual({ status: 'NOERROR', answers: [ANSWER] });
  });

  it('each resolver on its shipped config blocks the flagged name and the names under it, and resolves a benign name', { timeout: 180_000 }, async () => {
    expect(resolvers.map((r) => r.name).length).toBeGreaterThan(0);
    for (const r of resolvers) {
      await waitFor(`${r.name} to answer NXDOMAIN for ${FLAGGED}`, async () => ((await lookup(r.port, FLAGGED)).status === 'NXDOMAIN' ? true : undefined), 60_000, 250).catch((err: Error) => {
        throw new Error(`${err.message}\n${r.daemon.output().slice(-3000)}`);
      });
      expect((await lookup(r.port, UNDER)).status, r.name).toBe('NXDOMAIN');
      expect(await lookup(r.port, BENIGN), r.name).toEqual({ status: 'NOERROR', answers: [ANSWER] });
    }
    console.log(`deploy-kit: NXDOMAIN for ${FLAGGED} from ${resolvers.map((r) => r.name).join(', ')}`);
  });

  it.skipIf(unbound.path === null || unboundControlSetup.path === null)(
    'the reload hook: after fluxhound rewrites the RPZ file, the hook command makes the running Unbound block the new name (Knot Resolver follows the file by itself)',
    { timeout: 120_000 },
    async () => {
      const u = unboundFile!;
      for (const r of resolvers) expect(await lookup(r.port, NEW_FLUX), `${r.name} before the append`).toEqual({ status: 'NOERROR', answers: [ANSWER] });
      appendFileSync(log, newFluxLines());
      await waitFor(`fluxhound to rewrite the RPZ file with ${NEW_FLUX}`, () => readFileSync(rpzFile, 'utf8').includes(`\n${NEW_FLUX} CNAME .`), 60_000, 100);
      // Unbound does not look at the file by itself: the new name still resolves.
      expect(await lookup(u.port, NEW_FLUX)).toEqual({ status: 'NOERROR', answers: [ANSWER] });
      // What fluxhound-rpz-reload.path starts: the service's ExecStart, the config path substituted.
      const [program, ...args] = substituteWords(unitLine(shipped('systemd/fluxhound-rpz-reload.service'), 'ExecStart'), { '/etc/unbound/unbound.conf': [u.conf] });
      expect(program).toBe('/usr/sbin/unbound-control');
      const hook = await exec(program!, args);
      expect(hook, hook.stderr).toMatchObject({ code: 0 });
      expect(hook.stdout.trim()).toBe('ok');
      await waitFor(`Unbound to block ${NEW_FLUX} after the hook`, async () => ((await lookup(u.port, NEW_FLUX)).status === 'NXDOMAIN' ? true : undefined), 10_000, 100);
      expect((await lookup(u.port, `www.${NEW_FLUX}`)).status).toBe('NXDOMAIN');
      expect(await lookup(u.port, BENIGN)).toEqual({ status: 'NOERROR', answers: [ANSWER] });
      // The others need no hook: Knot Resolver watches the file; the RPZ-primary consumers take it by NOTIFY/IXFR or their refresh poll.
      for (const r of resolvers.filter((x) => x.port !== u.port)) {
        await waitFor(`${r.name} to block ${NEW_FLUX}`, async () => ((await lookup(r.port, NEW_FLUX)).status === 'NXDOMAIN' ? true : undefined), 60_000, 250).catch((err: Error) => {
          throw new Error(`${err.message}\n${r.daemon.output().slice(-3000)}`);
        });
      }
    },
  );
});
