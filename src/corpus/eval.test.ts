/** The evaluation corpus is reproducible in every format, and its labels cover every name with the right role. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDomain } from 'tldts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVAL_FORMATS, EVAL_LABELS, evalSpec, writeEvalCorpus } from './eval.js';
import type { EvalFormat } from './eval.js';
import { LABELS_HEADER_WITH_ROLE } from './writers/labels-csv.js';

const dirs: string[] = [];
const FORMATS = Object.keys(EVAL_FORMATS) as EvalFormat[];

/** The evaluation spec cut to a tenth of its exchanges, so the test stays quick. */
async function smallEval(seed?: number): Promise<Record<EvalFormat | 'labels', string>> {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-eval-'));
  dirs.push(dir);
  const spec = evalSpec(seed);
  spec.traffic.records = 45_000;
  const result = await writeEvalCorpus(dir, FORMATS, spec);
  // The published seed's count, which the files of `first` hold.
  if (seed === undefined) scheduledLookups = result.population.schedule.lookups;
  const read = (file: string): string => readFileSync(join(dir, file), 'latin1');
  const files = Object.fromEntries(FORMATS.map((f) => [f, read(EVAL_FORMATS[f])])) as Record<EvalFormat, string>;
  return { ...files, labels: read(EVAL_LABELS) };
}

let first: Record<EvalFormat | 'labels', string>;
let scheduledLookups = 0;

beforeAll(async () => {
  first = await smallEval();
}, 60_000);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the evaluation corpus', () => {
  it('is byte-identical in every format for the same seed and differs for another', async () => {
    const again = await smallEval();
    for (const key of [...FORMATS, 'labels'] as const) expect(again[key] === first[key], key).toBe(true);
    const other = await smallEval(7);
    expect(other.zeek === first.zeek).toBe(false);
  });

  it('labels every queried name, and marks names seen only inside answers', () => {
    const rows = first.labels.trim().split('\n');
    expect(rows[0]).toBe(LABELS_HEADER_WITH_ROLE);
    const labels = new Map(rows.slice(1).map((r) => [r.split(',')[0] as string, r.split(',')]));
    const queried = new Set<string>();
    const answerNames = new Set<string>();
    for (const line of first.zeek.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const fields = line.split('\t');
      const qname = fields[9] ?? '';
      queried.add(qname);
      // CNAME targets: the answers that are neither IPv4 nor IPv6 addresses.
      for (const item of (fields[21] ?? '-').split(',')) if (item !== '-' && !item.includes(':') && !/^[\d.]+$/.test(item)) answerNames.add(item);
    }
    for (const qname of queried) expect(labels.get(qname)?.[5], qname).toBe('query');
    for (const name of answerNames) expect(labels.has(name), name).toBe(true);
    for (const [name, row] of labels) {
      expect(row.length, name).toBe(6);
      expect(row[1], name).toBe(getDomain(name));
      const [, , cls, flux, network, role] = row;
      if (role === 'answer') expect(queried.has(name), name).toBe(false);
      if (cls === 'flux-single' || cls === 'flux-double' || cls === 'flux-slow') {
        expect(flux).toBe(cls === 'flux-double' ? 'double' : 'single');
        // 1-6 fast flux, 7-8 slow flux, 9 the double-flux children of shared registries.
        expect(network).toMatch(/^fluxnet-[1-9]$/);
      } else {
        expect(flux).toBe('');
        expect(network).toBe('');
      }
    }
  });

  it('writes one Zeek line and one eve event per exchange, and pDNS tuples for every class', () => {
    const zeekRows = first.zeek.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    // 45,000 by popularity and the scheduled lookups of the slow-flux and shared-registry names.
    expect(zeekRows).toBe(45_000 + scheduledLookups);
    expect(first.eve.trim().split('\n').length).toBe(45_000 + scheduledLookups);
    expect(first.pdns).toContain('"rrname":"0.pool.ntp.org"');
    expect(first.pdns).toContain('.trafficmanager.net');
  });
});
