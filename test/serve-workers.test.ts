/**
 * `fluxhound serve --workers 2`, end to end with the built CLI: the DNS
 * forwarder in front of a flux authority on 127.0.0.1, the detector on two
 * worker threads. Asking for a fast-flux name until it is blocked proves the
 * whole path: the forwarder's observations reach the workers without the
 * event loop waiting on them, a worker's flag reaches the flagged set (the
 * NDJSON flag event, the NXDOMAIN), and the API's domain view shows it
 * (blocked, with the workers' verdict; a name never flagged with its
 * worker's live verdict). SIGTERM drains and exits 0.
 * A followed log may hold flows: the daemon says in one line why it keeps
 * the detector in one thread.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FluxAuthority } from './support/flux-authority.js';
import { ROOT, fluxhound, requireBuilt, spawnFluxhound } from './support/cli.js';
import { freePort, waitFor } from './support/daemon.js';
import { queryRcode } from './support/dns-query.js';
import { writeTokenFile } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-serve-workers-'));
const FLUX = 'cdn.flux-workers.test';
const PLAIN = 'www.plain-workers.test';
const authority = new FluxAuthority({ origin: 'test', flux: [FLUX], benign: { [PLAIN]: ['192.0.2.10'] }, perAnswer: 8 });

beforeAll(async () => {
  requireBuilt();
  await authority.start();
});
afterAll(async () => {
  await authority.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('fluxhound serve --workers 2', () => {
  it('flags and blocks a fast-flux name from worker threads; the API shows it; SIGTERM drains', async () => {
    const dnsPort = await freePort();
    const httpPort = await freePort();
    const tokens = writeTokenFile(dir);
    const daemon = spawnFluxhound(['serve', '--workers', '2', '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${authority.port}`, '--no-store', '--rate-limit', '0', '--http', `127.0.0.1:${httpPort}`, '--api-tokens', tokens.file]);
    let view: { blocked?: boolean; verdict?: { verdict: string; domain: string } | null } = {};
    try {
      await waitFor('the forwarder to answer', async () => (await queryRcode(dnsPort, PLAIN).catch(() => -1)) === 0, 30_000, 200);
      // Ask until a worker has flagged the name and the forwarder blocks it.
      await waitFor('the flux name blocked', async () => (await queryRcode(dnsPort, FLUX).catch(() => -1)) === 3, 30_000, 50);
      view = await waitFor('the domain view', async () => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/domains/${FLUX}`, { headers: { authorization: `Bearer ${tokens.read}` } }).catch(() => null);
        return res?.status === 200 ? ((await res.json()) as typeof view) : undefined;
      }, 10_000);
      // A name never flagged: its live verdict comes from its worker.
      const plain = await fetch(`http://127.0.0.1:${httpPort}/api/v1/domains/${PLAIN}`, { headers: { authorization: `Bearer ${tokens.read}` } });
      expect(plain.status).toBe(200);
      expect(await plain.json()).toMatchObject({ name: PLAIN, blocked: false, verdict: { domain: PLAIN, verdict: 'benign' } });
      expect(daemon.child.exitCode).toBeNull();
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
    expect(daemon.stderr()).toContain('detector: 2 worker threads');
    expect(daemon.stderr()).not.toMatch(/"level":(50|60)/);
    expect(daemon.events().filter((e) => e.domain === FLUX).map((e) => e.verdict)).toContain('fast-flux');
    expect(daemon.events().some((e) => e.domain === PLAIN)).toBe(false);
    expect(view.blocked).toBe(true);
    expect(view.verdict).toMatchObject({ domain: FLUX, verdict: 'fast-flux' });
  }, 90_000);

  it('refuses a bad --workers in one line, exit 2', async () => {
    const r = await fluxhound(['serve', '--workers', '0', '--follow', join(dir, 'none.log')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("fluxhound: serve: --workers: expected 'auto' or a whole number 1..64, got '0'");
  });

  it('keeps one thread when a followed log may hold flows, and says why in one line', async () => {
    const log = join(dir, 'dns.log');
    copyFileSync(join(ROOT, 'examples', 'example.dns.log'), log);
    const daemon = spawnFluxhound(['serve', '--workers', '2', '--follow', log]);
    try {
      await waitFor('a fast-flux event on stdout', () => daemon.stdout().includes('"verdict":"fast-flux"'), 30_000);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
    const lines = daemon.stderr().split('\n').filter((l) => l.includes('detector: one thread, not 2 workers'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('flows may come');
  }, 60_000);
});
