/**
 * `fluxhound serve --stix FILE --misp-feed DIR` as an operator runs it: the
 * built daemon follows a DNS log, flags fast flux from the traffic, and
 * keeps both files current: the STIX bundle holds an indicator for a name it
 * flagged, every object valid against the OASIS schemas; the MISP feed's
 * manifest names an event holding that name; on SIGTERM both are written a
 * last time and no temporary file is left. Runs the built CLI (npm test
 * builds first).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stixValidators } from './helpers/stix-schemas.js';
import { CLI, requireBuilt, ROOT } from './support/cli.js';
import { waitFor } from './support/daemon.js';

const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-serve-share-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Obj = { type: string; id: string; [k: string]: unknown };
const readBundle = (path: string): { objects: Obj[] } | undefined => {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { objects: Obj[] };
  } catch {
    return undefined; // never half-written (temp + rename), but be plain about it
  }
};

describe('fluxhound serve --stix --misp-feed (CLI)', () => {
  it('keeps a STIX bundle and a MISP feed of what it flags from traffic current, and writes both at stop', async () => {
    requireBuilt();
    const log = join(dir, 'dns.log');
    copyFileSync(EXAMPLE, log);
    const stix = join(dir, 'findings.stix.json');
    const feed = join(dir, 'misp-feed');
    const child = spawn(process.execPath, [CLI, 'serve', '--follow', log, '--stix', stix, '--misp-feed', feed, '--no-store', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('a fast-flux event on stdout', () => stdout.includes('"verdict":"fast-flux"'), 30_000);
      const flagged = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { domain: string; verdict: string })
        .find((e) => e.verdict === 'fast-flux')!.domain;
      // Written within the debounce (10 s) of the change that flagged it.
      await waitFor(`an indicator for ${flagged} in ${stix}`, () => readBundle(stix)?.objects.some((o) => o.type === 'indicator' && o.pattern === `[domain-name:value = '${flagged}']`), 30_000);
      await waitFor(`an event naming ${flagged} in ${feed}`, () => {
        if (!existsSync(join(feed, 'manifest.json'))) return false;
        const manifest = JSON.parse(readFileSync(join(feed, 'manifest.json'), 'utf8')) as Record<string, unknown>;
        return Object.keys(manifest).some((uuid) => existsSync(join(feed, `${uuid}.json`)) && readFileSync(join(feed, `${uuid}.json`), 'utf8').includes(`"value":"${flagged}"`));
      }, 30_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
    const bundle = readBundle(stix)!;
    const validators = stixValidators();
    expect(validators.bundle(bundle), JSON.stringify(validators.bundle.errors)).toBe(true);
    for (const o of bundle.objects) expect(validators.byType.get(o.type)!(o), o.id).toBe(true);
    expect(bundle.objects.filter((o) => o.type === 'infrastructure').length).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(feed).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 90_000);
});
