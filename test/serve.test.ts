/**
 * `fluxhound serve` as a user meets it: refuses to start with nothing to do,
 * prints flag events as NDJSON while a followed log grows, and exits 0 on
 * SIGTERM. Runs the built CLI (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { CLI, spawnFluxhound } from './support/cli.js';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/daemon.js';

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fluxhound serve (CLI)', () => {
  it('refuses to start without a service, in one line, exit 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'serve'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nothing to serve/);
  });

  it('refuses --http without --api-tokens, and a bad token file, in one line, exit 2 (every HTTP request is authenticated)', () => {
    const r = spawnSync(process.execPath, [CLI, 'serve', '--http', '127.0.0.1:9153', '--no-store'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('fluxhound: serve: --http needs --api-tokens FILE (serve.http.tokens): every HTTP request is authenticated');
    const tokens = join(dir, 'api-tokens');
    writeFileSync(tokens, '# ops\nsecretsecretsecretsecret root alice\n', { mode: 0o600 });
    const bad = spawnSync(process.execPath, [CLI, 'serve', '--http', '127.0.0.1:9153', '--api-tokens', tokens, '--no-store'], { encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(`fluxhound: tokens: ${tokens}:2: the role must be one of read, write, admin`);
  });

  it('refuses a tls:// upstream without its certificate name, and an unreadable --upstream-ca, in one line, exit 2', () => {
    const noName = spawnSync(process.execPath, [CLI, 'serve', '--dns', '127.0.0.1:5399', '--upstream', 'tls://127.0.0.1:853', '--no-store'], { encoding: 'utf8', timeout: 30_000 });
    expect(noName.status).toBe(2);
    expect(noName.stderr.trim()).toBe("fluxhound: serve: --upstream: 'tls://127.0.0.1:853' needs the name its certificate carries: tls://ADDRESS:PORT#NAME");
    const noCa = spawnSync(process.execPath, [CLI, 'serve', '--dns', '127.0.0.1:5399', '--upstream', 'tls://127.0.0.1:853#dns.test', '--upstream-ca', join(dir, 'missing.pem'), '--no-store'], { encoding: 'utf8', timeout: 30_000 });
    expect(noCa.status).toBe(2);
    expect(noCa.stderr.trim()).toBe(`fluxhound: serve: --upstream-ca ${join(dir, 'missing.pem')}: ENOENT`);
  });

  it('refuses a bad --log-level in one line, exit 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'serve', '--follow', EXAMPLE, '--log-level', 'loud'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--log-level/);
  });

  it('prints flag events as NDJSON while following a log, and stops cleanly on SIGTERM', async () => {
    const log = join(dir, 'dns.log');
    copyFileSync(EXAMPLE, log);
    const daemon = spawnFluxhound(['serve', '--follow', log, '--log-level', 'warn']);
    try {
      await waitFor('a fast-flux event on stdout', () => daemon.stdout().includes('"verdict":"fast-flux"'), 30_000);
      const events = daemon.events<{ domain: string; verdict: string; evidence: { addresses: unknown[] } }>();
      const flux = events.find((e) => e.verdict === 'fast-flux')!;
      expect(flux.evidence.addresses.length).toBeGreaterThan(0);
      expect(daemon.child.exitCode).toBeNull();
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
    expect(daemon.stderr()).not.toMatch(/"level":(50|60)/);
  }, 60_000);
});
