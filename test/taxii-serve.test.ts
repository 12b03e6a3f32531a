/**
 * `fluxhound serve --taxii` as a partner meets it (issue 15, Out): the built
 * daemon flags fast flux from a followed log and a plain TAXII client,
 * holding a read token, finds an indicator for the flagged name in the
 * findings collection. Runs the built CLI (npm test builds first).
 */
import { spawnFluxhound } from './support/cli.js';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/daemon.js';
import { writeTokenFile } from './support/tokens.js';

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-taxii-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('fluxhound serve --taxii (CLI)', () => {
  it('publishes an indicator for each name it flags from traffic', async () => {
    const log = join(dir, 'dns.log');
    copyFileSync(EXAMPLE, log);
    const tokens = writeTokenFile(dir);
    const port = await freePort();
    const daemon = spawnFluxhound(['serve', '--follow', log, '--taxii', `127.0.0.1:${port}`, '--api-tokens', tokens.file, '--no-store', '--log-level', 'warn']);
    const headers = { authorization: `Bearer ${tokens.read}`, accept: 'application/taxii+json;version=2.1' };
    try {
      await waitFor('a fast-flux event on stdout', () => daemon.stdout().includes('"verdict":"fast-flux"'), 30_000);
      const flagged = daemon.events<{ domain: string; verdict: string }>()
        .find((e) => e.verdict === 'fast-flux')!.domain;
      // The follower may flag before the listener (started after it) is up.
      const discovery = await waitFor('the TAXII listener', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/taxii2/`, { headers }).catch(() => null);
        return res?.status === 200 ? ((await res.json()) as { default: string }) : undefined;
      });
      const { collections } = (await (await fetch(`${discovery.default}collections/`, { headers })).json()) as { collections: Array<{ id: string }> };
      const objectsUrl = `${discovery.default}collections/${collections[0]!.id}/objects/?match[type]=indicator`;
      let patterns: string[] = [];
      await waitFor(`an indicator for ${flagged}`, async () => {
        const envelope = (await (await fetch(objectsUrl, { headers })).json()) as { objects?: Array<{ pattern: string }> };
        patterns = (envelope.objects ?? []).map((o) => o.pattern);
        return patterns.includes(`[domain-name:value = '${flagged}']`);
      }, 10_000);
      expect((await fetch(objectsUrl)).status).toBe(401);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
  }, 60_000);
});
