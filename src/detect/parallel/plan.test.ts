import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sourceFormats } from '../../sources/registry.js';
import { parallelPlan } from './plan.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DNS = join(ROOT, 'examples', 'example.dns.log');
const CONN = join(ROOT, 'examples', 'example.conn.log');
const base = { workers: 4, minBytes: 0, intel: false };

describe('parallelPlan', () => {
  it('partitions a DNS-only input as asked', async () => {
    expect(await parallelPlan([DNS], 'auto', sourceFormats, base)).toEqual({ partitions: 4, reason: null });
  });

  it.each([
    ['one worker asked', [DNS], { ...base, workers: 1 }, null],
    ['a conn.log (flows)', [DNS, CONN], base, /example\.conn\.log \(zeek-conn\) may hold flows/],
    ['intel feeds', [DNS], { ...base, intel: true }, /intel feeds/],
    ['stdin', ['-'], base, /stdin/],
    ['a small input', [DNS], { ...base, minBytes: 1 << 30 }, /input under 1024 MiB/],
  ])('stays on one thread for %s', async (_what, files, options, reason) => {
    const plan = await parallelPlan(files, 'auto', sourceFormats, options);
    expect(plan.partitions).toBe(1);
    if (reason === null) expect(plan.reason).toBeNull();
    else expect(plan.reason).toMatch(reason);
  });

  it('stays on one thread for gzip-compressed input', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fluxhound-plan-')), 'dns.log.gz');
    writeFileSync(file, gzipSync(readFileSync(DNS)));
    expect((await parallelPlan([file], 'auto', sourceFormats, base)).reason).toMatch(/compressed/);
  });
});
