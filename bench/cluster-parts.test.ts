/** The cluster benches are found, run and reported through one loader; a broken one is a failure, not a crash. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterFigures } from './cluster-parts.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-cluster-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function moduleFile(name: string, source: string): URL {
  const path = join(dir, name);
  writeFileSync(path, source);
  return pathToFileURL(path);
}

describe('cluster bench parts', () => {
  it('runs the exported bench with the log and returns its lines and failures', async () => {
    const url = moduleFile(
      'ingest.mjs',
      `export async function benchClusterIngest(log) { log('ingest started'); return { lines: ['ingest: 50,000 observations/s per sensor'], failures: ['shard 2 slow'] }; }`,
    );
    const logged: string[] = [];
    const figures = await clusterFigures('cluster-ingest', (line) => logged.push(line), url);
    expect(figures).toEqual({ part: 'cluster-ingest', lines: ['ingest: 50,000 observations/s per sensor'], failures: ['shard 2 slow'] });
    expect(logged).toEqual(['ingest started']);
  });

  it('is null when the build has no such part', async () => {
    expect(await clusterFigures('cluster-judge', () => undefined, pathToFileURL(join(dir, 'absent.mjs')))).toBeNull();
  });

  it('counts a missing export or a throw as that part failing', async () => {
    const wrong = moduleFile('wrong.mjs', `export async function benchClusterIngest() { return { lines: [], failures: [] }; }`);
    expect(await clusterFigures('cluster-judge', () => undefined, wrong)).toEqual({
      part: 'cluster-judge',
      lines: [],
      failures: ['cluster-judge.js has no benchClusterJudge()'],
    });
    const throws = moduleFile('throws.mjs', `export async function benchClusterJudge() { throw new Error('no clickhouse-server'); }`);
    expect(await clusterFigures('cluster-judge', () => undefined, throws)).toEqual({ part: 'cluster-judge', lines: [], failures: ['no clickhouse-server'] });
  });
});
