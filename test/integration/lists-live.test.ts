/**
 * The operator's lists applied live, with real parts: a real `fluxhound
 * serve --dns --rpz-file --store --http` process forwarding to a flux
 * authority (test/support/flux-authority.ts), which flags a flux name from
 * live traffic; then `fluxhound allow add` and `fluxhound deny add` run as
 * separate processes on the same store file. The running daemon picks each
 * change up (it polls the store's lists version every 500 ms): dig through
 * the forwarder gets the allowed name's addresses again and NXDOMAIN for the
 * denied one, the RPZ file drops and gains them with a new serial, and a
 * real Unbound loading that RPZ file (auth_zone_reload, what the deployment
 * kit's reload hook runs) follows. The audit trail shows who and when.
 */
import { fetchWithToken, writeTokenFile, type TestTokens } from '../support/tokens.js';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unboundServerLines } from '../../bench/unbound-config.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { findBinary } from '../support/binaries.js';
import { CLI, fluxhound, requireBuilt } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';
import { FluxAuthority } from '../support/flux-authority.js';
import { parseZone } from '../support/parse-zone.js';

const unbound = findBinary('unbound', 'unbound');
const unboundControl = findBinary('unbound-control', 'unbound');
const dig = findBinary('dig', 'bind9-dnsutils');
const skipReason = [unbound, unboundControl, dig].find((b) => b.missing !== null)?.missing ?? null;

const ORIGIN = 'test';
const FLUX = 'www.kozolabi.test';
const BENIGN = 'www.static-site.test';
const BENIGN_ADDRESS = '192.0.2.10';
/** Another name under BENIGN's registered domain: a deny entry for BENIGN leaves it alone. */
const SIBLING = 'mail.static-site.test';

interface Answer {
  status: string;
  addresses: string[];
}

function ask(port: number, name: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    execFile(dig.path!, ['+time=3', '+tries=1', '@127.0.0.1', '-p', String(port), name, 'A'], { encoding: 'utf8', timeout: 20_000 }, (err, stdout) => {
      if (err !== null && stdout === '') return reject(err);
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NONE';
      const addresses = [...stdout.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!).sort();
      resolve({ status, addresses });
    });
  });
}

/** The RPZ file: owners (relative to the origin) that block (CNAME .), owners that pass (CNAME rpz-passthru.), and the serial. */
function rpz(path: string): { blocked: string[]; passthru: string[]; serial: number } {
  const zone = parseZone(readFileSync(path, 'utf8'));
  const origin = zone.origin.length;
  const owner = (labels: Buffer[]): string => labels.slice(0, labels.length - origin).map((l) => l.toString('latin1')).join('.');
  const cnames = zone.records.filter((r) => r.type === 'CNAME');
  const soa = zone.records.find((r) => r.type === 'SOA');
  return {
    blocked: cnames.filter((r) => r.data[0] === '.').map((r) => owner(r.owner)),
    passthru: cnames.filter((r) => r.data[0] === 'rpz-passthru.').map((r) => owner(r.owner)),
    serial: Number(soa?.data[2]),
  };
}

describe.skipIf(skipReason !== null)(`allow and deny lists applied live${skipReason === null ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dir = '';
  let store = '';
  let zoneFile = '';
  const authority = new FluxAuthority({ origin: ORIGIN, flux: [FLUX], benign: { [BENIGN]: [BENIGN_ADDRESS], [SIBLING]: ['192.0.2.25'] }, perAnswer: 10 });
  let daemon: Daemon | null = null;
  let resolver: Daemon | null = null;
  let dnsPort = 0;
  let httpPort = 0;
  let tokens: TestTokens;
  let unboundPort = 0;
  let unboundConf = '';
  const figures: Record<string, number> = {};

  /** Unbound reloads the RPZ file (the deployment kit's hook does this on every rewrite). */
  async function unboundAsk(name: string): Promise<Answer> {
    await new Promise<void>((resolve, reject) =>
      execFile(unboundControl.path!, ['-c', unboundConf, 'auth_zone_reload', 'rpz.fluxhound.'], (err) => (err === null ? resolve() : reject(err))),
    );
    return ask(unboundPort, name);
  }

  beforeAll(async () => {
    requireBuilt();
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-lists-live-'));
    store = join(dir, 'state.db');
    zoneFile = join(dir, 'fluxhound.rpz');
    tokens = writeTokenFile(dir);
    await authority.start();
    dnsPort = await freePort();
    httpPort = await freePort();
    daemon = startDaemon(
      process.execPath,
      [CLI, 'serve', '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${authority.port}`, '--store', store, '--rpz-file', zoneFile, '--http', `127.0.0.1:${httpPort}`, '--api-tokens', tokens.file, '--rate-limit', '0'],
      { cwd: dir },
    );
    await waitFor('fluxhound to answer', async () => (await ask(dnsPort, BENIGN)).status === 'NOERROR', 60_000, 200);
    expect(existsSync(zoneFile)).toBe(true);
    unboundPort = await freePort();
    const control = await freePort();
    unboundConf = join(dir, 'unbound.conf');
    writeFileSync(
      unboundConf,
      [
        ...unboundServerLines(dir, unboundPort),
        '  do-ip6: no',
        '  num-threads: 1',
        '  module-config: "respip iterator"',
        '  do-not-query-localhost: no',
        '  qname-minimisation: no',
        '  local-zone: "test." nodefault',
        'remote-control:',
        '  control-enable: yes',
        '  control-use-cert: no',
        '  control-interface: 127.0.0.1',
        `  control-port: ${control}`,
        'stub-zone:',
        `  name: "${ORIGIN}."`,
        `  stub-addr: 127.0.0.1@${authority.port}`,
        'rpz:',
        '  name: "rpz.fluxhound."',
        `  zonefile: "${zoneFile}"`,
        '',
      ].join('\n'),
    );
    resolver = startDaemon(unbound.path!, ['-d', '-c', unboundConf]);
    await waitFor('Unbound to answer', async () => (await ask(unboundPort, BENIGN)).addresses.includes(BENIGN_ADDRESS), 30_000, 200);
  }, 180_000);

  afterAll(async () => {
    await daemon?.stop();
    await resolver?.stop();
    await authority.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    if (Object.keys(figures).length > 0) process.stdout.write(`lists-live figures: ${JSON.stringify(figures)}\n`);
  }, 30_000);

  it('flags the flux name from live traffic: NXDOMAIN from fluxhound, in the RPZ, and Unbound follows', async () => {
    await waitFor('the flux name to be blocked', async () => (await ask(dnsPort, FLUX)).status === 'NXDOMAIN', 120_000, 50);
    await waitFor('the RPZ file to hold it', () => rpz(zoneFile).blocked.includes(FLUX), 10_000, 50);
    expect((await unboundAsk(FLUX)).status).toBe('NXDOMAIN');
    expect((await unboundAsk(BENIGN)).addresses).toEqual([BENIGN_ADDRESS]);
  }, 180_000);

  it('fluxhound allow add (another process, same store): the forwarder answers the name again within a second, the RPZ drops it', async () => {
    const before = rpz(zoneFile).serial;
    const run = await fluxhound(['allow', 'add', FLUX, '--comment', 'false positive, ticket 4711', '--store', store], { ...process.env, USER: 'alice' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^allow added: ${FLUX.replace(/\./g, '\\.')} \\(by alice at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\): false positive, ticket 4711\\n$`));
    const written = Date.now();
    const answer = await waitFor(
      'the forwarder to answer the allowed name',
      async () => {
        const a = await ask(dnsPort, FLUX);
        return a.status === 'NOERROR' && a.addresses.length > 0 ? a : false;
      },
      10_000,
      20,
    );
    figures.allowAnsweredMs = Date.now() - written;
    expect(answer.addresses.length).toBe(10);
    await waitFor('the RPZ file to drop it', () => !rpz(zoneFile).blocked.includes(FLUX) && !rpz(zoneFile).blocked.includes('kozolabi.test'), 10_000, 20);
    figures.allowRpzMs = Date.now() - written;
    const after = rpz(zoneFile);
    expect(after.serial).toBeGreaterThan(before);
    // The managed entry is a PASSTHRU in the zone, as configured allowlist entries are.
    expect(after.passthru).toEqual(expect.arrayContaining([FLUX, `*.${FLUX}`]));
    const unboundAnswer = await unboundAsk(FLUX);
    expect(unboundAnswer.status).toBe('NOERROR');
    expect(unboundAnswer.addresses.length).toBeGreaterThan(0);
  }, 60_000);

  it('fluxhound deny add: NXDOMAIN from the forwarder for the name and below, in the RPZ, and Unbound follows', async () => {
    expect((await ask(dnsPort, BENIGN)).addresses).toEqual([BENIGN_ADDRESS]);
    const run = await fluxhound(['deny', 'add', BENIGN, '--comment', 'phishing kit reported by the abuse desk', '--by', 'bob', '--store', store]);
    expect(run.code).toBe(0);
    const written = Date.now();
    await waitFor('the forwarder to block the denied name', async () => (await ask(dnsPort, BENIGN)).status === 'NXDOMAIN', 10_000, 20);
    figures.denyBlockedMs = Date.now() - written;
    expect((await ask(dnsPort, `deeper.${BENIGN}`)).status).toBe('NXDOMAIN');
    // Only the name and below: its registered domain's other names still resolve.
    expect(await ask(dnsPort, SIBLING)).toEqual({ status: 'NOERROR', addresses: ['192.0.2.25'] });
    await waitFor('the RPZ file to hold it', () => rpz(zoneFile).blocked.includes(BENIGN) && rpz(zoneFile).blocked.includes(`*.${BENIGN}`), 10_000, 20);
    expect(rpz(zoneFile).blocked).not.toContain('static-site.test');
    expect((await unboundAsk(BENIGN)).status).toBe('NXDOMAIN');
  }, 60_000);

  it('refuses a deny entry for a public suffix with one line, exit 2, and changes nothing', async () => {
    const run = await fluxhound(['deny', 'add', 'test', '--comment', 'everything', '--store', store]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('fluxhound: deny: "test" is the root or a public suffix; a deny entry would block every name under it\n');
    expect((await fluxhound(['deny', 'list', '--store', store])).stdout.split('\n').filter(Boolean)).toHaveLength(1);
  }, 30_000);

  it('keeps the audit trail (who and when), lists the entries, and shows the name with its history', async () => {
    const db: Store = new SqliteStore(store);
    try {
      const audit = db.audit(0, 10);
      expect(audit.map((a) => [a.action, a.target, a.by, a.comment])).toEqual([
        ['deny.add', BENIGN, 'bob', 'phishing kit reported by the abuse desk'],
        ['allow.add', FLUX, 'alice', 'false positive, ticket 4711'],
      ]);
      for (const a of audit) expect(Math.abs(a.at - Date.now() / 1000)).toBeLessThan(600);
    } finally {
      db.close();
    }
    const allow = await fluxhound(['allow', 'list', '--json', '--store', store]);
    expect(allow.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; by: string })).toMatchObject([{ list: 'allow', name: FLUX, by: 'alice' }]);
    await waitFor('the verdict to be recorded', async () => {
      const show = await fluxhound(['show', FLUX, '--json', '--store', store]);
      return show.code === 0 && (JSON.parse(show.stdout) as { history: unknown[] }).history.length > 0;
    }, 10_000, 200);
    const shown = JSON.parse((await fluxhound(['show', FLUX, '--json', '--store', store])).stdout);
    expect(shown).toMatchObject({ name: FLUX, verdict: { domain: FLUX, verdict: 'fast-flux' }, allowlisted: { name: FLUX, by: 'alice' }, denylisted: null });
    expect(shown.history[0]).toMatchObject({ verdict: expect.stringMatching(/fast-flux|suspicious/) });
    // At least one answer's ten rotating addresses.
    expect(shown.passive_dns.filter((t: { type: string }) => t.type === 'A').length).toBeGreaterThanOrEqual(10);
    const text = (await fluxhound(['show', BENIGN, '--store', store])).stdout;
    expect(text).toContain(`deny entry: ${BENIGN} (by bob at `);
    const metrics = await (await fetchWithToken(`http://127.0.0.1:${httpPort}/metrics`, tokens.read)).text();
    expect(metrics).toContain('fluxhound_lists_entries{list="allow"} 1');
    expect(metrics).toContain('fluxhound_lists_entries{list="deny"} 1');
    expect(metrics).toContain('fluxhound_lists_changes_applied_total{list="allow",op="add"} 1');
    expect(metrics).toContain('fluxhound_lists_poll_errors_total 0');
  }, 60_000);

  it('removing the entries: the deny goes (the name answers), the allow goes (the detector still flags the flux name: blocked again)', async () => {
    expect((await fluxhound(['deny', 'remove', BENIGN, '--comment', 'cleaned up', '--store', store])).code).toBe(0);
    await waitFor('the denied name to answer again', async () => (await ask(dnsPort, BENIGN)).addresses.includes(BENIGN_ADDRESS), 10_000, 20);
    // Keep the flux name in the detector's window, then take the allow entry away.
    for (let i = 0; i < 3; i++) await ask(dnsPort, FLUX);
    expect((await fluxhound(['allow', 'remove', FLUX, '--comment', 'the ticket was wrong', '--store', store])).code).toBe(0);
    await waitFor('the flux name to be blocked again', async () => (await ask(dnsPort, FLUX)).status === 'NXDOMAIN', 10_000, 20);
    await waitFor('the RPZ file to hold it again', () => rpz(zoneFile).blocked.includes(FLUX) && !rpz(zoneFile).blocked.includes(BENIGN), 10_000, 20);
    const again = await fluxhound(['allow', 'remove', FLUX, '--comment', 'twice', '--store', store]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`fluxhound: allow remove: ${FLUX} is not on the allow list\n`);
  }, 60_000);
});
