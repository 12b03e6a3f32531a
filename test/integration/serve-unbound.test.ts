/**
 * fluxhound serve as a Protective DNS resolver, with real parts: a small
 * authoritative server (test/support/flux-authority.ts) whose flux names
 * rotate A records across real residential networks with TTLs of 0–60 s,
 * Unbound recursing to it through a stub-zone, and fluxhound forwarding to
 * Unbound. dig asks through fluxhound (UDP and TCP): the flux names must end
 * up NXDOMAIN once detected, every benign name must keep its answer,
 * /metrics must count the blocks, and after a restart on the same store the
 * flux names must be blocked from the first query.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { FluxAuthority } from '../support/flux-authority.js';
import { unboundServerLines, unboundStubLines } from '../../bench/unbound-config.js';
import { findBinary } from '../support/binaries.js';
import { CLI, requireBuilt } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';
import { fetchWithToken, writeTokenFile, type TestTokens } from '../support/tokens.js';

const unbound = findBinary('unbound', 'unbound');
const dig = findBinary('dig', 'bind9-dnsutils');
const kdig = findBinary('kdig', 'knot-dnsutils');
const skipReason = [unbound, dig, kdig].find((b) => b.missing !== null)?.missing ?? null;

// The authority serves all of test., so every name below has a registered domain of its own.
const ORIGIN = 'test';
const FLUX = ['www.kozolabi.test', 'dl.vemaruki.test', 'pay.zintaqo.test', 'cdn.huloveri.test'];
const BENIGN: Record<string, string[]> = {
  'www.static-site.test': ['192.0.2.10'],
  'mail.static-site.test': ['192.0.2.25', '192.0.2.26'],
  'api.roundrobin.test': ['198.51.100.1', '198.51.100.2', '198.51.100.3'],
};



function unboundConfig(dir: string, port: number, authorityPort: number): string {
  return [
    ...unboundServerLines(dir, port),
    '  do-ip6: no',
    '  verbosity: 1',
    '  num-threads: 1',
    '  module-config: "iterator"',
    ...unboundStubLines(ORIGIN, authorityPort),
    '',
  ].join('\n');
}

interface Answer {
  status: string;
  addresses: string[];
}

/** dig (or kdig) through a resolver; async, because the authority runs in this process. */
function ask(port: number, name: string, options: { tcp?: boolean; tool?: 'dig' | 'kdig' } = {}): Promise<Answer> {
  const kd = options.tool === 'kdig';
  const args = [kd ? '+timeout=3' : '+time=3', kd ? '+retry=0' : '+tries=1', `@127.0.0.1`, '-p', String(port), name, 'A'];
  if (options.tcp === true) args.unshift('+tcp');
  return new Promise((resolve, reject) => {
    execFile(kd ? kdig.path! : dig.path!, args, { encoding: 'utf8', timeout: 20_000 }, (err, stdout) => {
      if (err !== null && stdout === '') return reject(err);
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NONE';
      const addresses = [...stdout.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!).sort();
      resolve({ status, addresses });
    });
  });
}

let tokens: TestTokens;

async function httpText(port: number, path: string): Promise<{ status: number; text: string }> {
  const res = await fetchWithToken(`http://127.0.0.1:${port}${path}`, tokens.read);
  return { status: res.status, text: await res.text() };
}

describe.skipIf(skipReason !== null)(`fluxhound serve in front of Unbound${skipReason === null ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dir = '';
  const authority = new FluxAuthority({ origin: ORIGIN, flux: FLUX, benign: BENIGN, perAnswer: 10 });
  let resolver: Daemon | null = null;
  let fluxhound: Daemon | null = null;
  let unboundPort = 0;
  let dnsPort = 0;
  let httpPort = 0;

  function startFluxhound(): Daemon {
    const args = [CLI, 'serve', '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${unboundPort}`, '--http', `127.0.0.1:${httpPort}`, '--api-tokens', tokens.file];
    args.push('--store', join(dir, 'fluxhound.db'), '--rate-limit', '0', '--log-level', 'info');
    return startDaemon(process.execPath, args, { cwd: dir });
  }

  beforeAll(async () => {
    requireBuilt();
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-serve-unbound-'));
    tokens = writeTokenFile(dir);
    await authority.start();
    unboundPort = await freePort();
    writeFileSync(join(dir, 'unbound.conf'), unboundConfig(dir, unboundPort, authority.port));
    resolver = startDaemon(unbound.path!, ['-d', '-c', join(dir, 'unbound.conf')]);
    await waitFor('Unbound to answer from the stub zone', async () => (await ask(unboundPort, 'www.static-site.test')).addresses.includes('192.0.2.10'), 30_000, 200);
    dnsPort = await freePort();
    httpPort = await freePort();
    fluxhound = startFluxhound();
    await waitFor('fluxhound to answer', async () => (await ask(dnsPort, 'www.static-site.test')).status === 'NOERROR', 60_000, 200);
  }, 240_000);

  afterAll(async () => {
    await fluxhound?.stop();
    await resolver?.stop();
    await authority.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('answers benign names over UDP and TCP, with dig and kdig', async () => {
    for (const [name, addresses] of Object.entries(BENIGN)) {
      expect(await ask(dnsPort, name)).toEqual({ status: 'NOERROR', addresses: [...addresses].sort() });
      expect(await ask(dnsPort, name, { tcp: true })).toEqual({ status: 'NOERROR', addresses: [...addresses].sort() });
      expect((await ask(dnsPort, name, { tool: 'kdig' })).addresses).toEqual([...addresses].sort());
    }
    expect((await ask(dnsPort, 'nothing-here.test')).status).toBe('NXDOMAIN');
  }, 60_000);

  it('blocks the flux names after detection (NXDOMAIN) and keeps answering the benign ones', async () => {
    const first = await ask(dnsPort, FLUX[0]!);
    expect(first.status).toBe('NOERROR');
    expect(first.addresses.length).toBe(10);
    const blocked = new Set<string>();
    // Ask round after round until each flux name comes back NXDOMAIN (the detector sees every upstream answer).
    await waitFor(
      'every flux name to be blocked',
      async () => {
        for (const name of FLUX) {
          if (blocked.has(name)) continue;
          const answer = await ask(dnsPort, name);
          if (answer.status === 'NXDOMAIN') blocked.add(name);
          else expect(answer.status).toBe('NOERROR');
        }
        return blocked.size === FLUX.length;
      },
      120_000,
      50,
    );
    for (const name of FLUX) {
      expect((await ask(dnsPort, name)).status).toBe('NXDOMAIN');
      expect((await ask(dnsPort, name, { tcp: true })).status).toBe('NXDOMAIN');
    }
    // Everything under a flagged name's registered domain goes too.
    expect((await ask(dnsPort, 'other.kozolabi.test')).status).toBe('NXDOMAIN');
    for (const [name, addresses] of Object.entries(BENIGN)) {
      expect(await ask(dnsPort, name)).toEqual({ status: 'NOERROR', addresses: [...addresses].sort() });
    }
    const flags = fluxhound!
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{"domain"'))
      .map((l) => JSON.parse(l) as { domain: string; verdict: string });
    expect(flags.filter((f) => f.domain.includes('static-site') || f.domain.includes('roundrobin'))).toEqual([]);
  }, 180_000);

  it('shows queries, cache hits, blocks and the store on /metrics, and is healthy', async () => {
    const metrics = await httpText(httpPort, '/metrics');
    expect(metrics.status).toBe(200);
    const blocked = Number(/fluxhound_dns_blocked_total\{action="nxdomain",verdict="fast-flux"\} (\d+)/.exec(metrics.text)?.[1]);
    expect(blocked).toBeGreaterThanOrEqual(FLUX.length);
    expect(Number(/fluxhound_dns_queries_total\{proto="udp"\} (\d+)/.exec(metrics.text)?.[1])).toBeGreaterThan(10);
    expect(Number(/fluxhound_dns_cache_hits_total (\d+)/.exec(metrics.text)?.[1])).toBeGreaterThan(0);
    expect(metrics.text).toMatch(/fluxhound_store_size_bytes\{backend="sqlite"\} [1-9]/);
    expect(metrics.text).toMatch(/fluxhound_dns_detector_lag_seconds /);
    const health = await httpText(httpPort, '/health');
    expect(JSON.parse(health.text)).toMatchObject({ status: 'ok' });
    expect(JSON.parse(health.text).flagged_domains).toBeGreaterThanOrEqual(FLUX.length);
    expect((await fetchWithToken(`http://127.0.0.1:${httpPort}/metrics`, tokens.read, { method: 'POST' })).status).toBe(405);
  }, 30_000);

  it('keeps the verdicts across a restart: blocked from the first query', async () => {
    const before = fluxhound!;
    await before.stop();
    expect(before.process.exitCode).toBe(0);
    fluxhound = startFluxhound();
    await waitFor('fluxhound to answer again', async () => (await ask(dnsPort, 'www.static-site.test')).status === 'NOERROR', 60_000, 200);
    for (const name of FLUX) expect((await ask(dnsPort, name)).status).toBe('NXDOMAIN');
    expect(fluxhound.output()).toMatch(/store: restored [1-9]\d* flagged domains/);
  }, 90_000);

  it('leaves a consistent store, verdicts included, after kill -9 in the middle of traffic', async () => {
    const daemon = fluxhound!;
    const traffic = [...FLUX, ...Object.keys(BENIGN), 'fresh-name.test'].map((name) => ask(dnsPort, name));
    await traffic[0];
    const exited = new Promise<void>((resolve) => daemon.process.once('exit', () => resolve()));
    daemon.process.kill('SIGKILL');
    await exited;
    await Promise.allSettled(traffic);
    const store = new SqliteStore(join(dir, 'fluxhound.db'));
    try {
      expect(store.check()).toBe('ok');
      expect(store.flaggedSince(0).map((r) => r.verdict.domain).sort()).toEqual(expect.arrayContaining([...FLUX].sort()));
      expect(store.recentTuples(0, 1000).some((t) => t.name === 'www.static-site.test' && t.data === '192.0.2.10')).toBe(true);
    } finally {
      store.close();
    }
  }, 60_000);
});
