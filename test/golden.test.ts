/**
 * Golden test (as Zeek's packages do): the bundled example through the whole
 * pipeline, compared line by line with the checked-in verdicts. After an
 * intended change: UPDATE_GOLDEN=1 npm test, then review the diff.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const GOLDEN = join(ROOT, 'test', 'golden', 'example.verdicts.ndjson');

describe('golden: examples/example.dns.log', () => {
  it('gives exactly the recorded verdicts', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'analyze', '--json', '--all', '--baseline', 'holz', '--quiet', join(ROOT, 'examples', 'example.dns.log')],
      { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // Order of verdicts is the order domains are finalised; sort for a stable comparison.
    const got = r.stdout.split('\n').filter(Boolean).sort().join('\n') + '\n';
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, got);
    const want = readFileSync(GOLDEN, 'utf8');
    expect(got.split('\n')).toEqual(want.split('\n'));
  });
});
