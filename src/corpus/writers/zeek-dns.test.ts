import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDomain } from 'tldts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_LABELS, EXAMPLE_LOG, exampleSpec, writeExample } from '../../../scripts/example.js';
import { LABELS_HEADER } from './labels-csv.js';
import { ZEEK_DNS_FIELDS } from './zeek-dns.js';
import { zeekHeaderTime, zeekSeconds } from './zeek-time.js';

const dirs: string[] = [];
let log = '';

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-corpus-'));
  dirs.push(dir);
  return dir;
}

async function example(seed?: number): Promise<{ log: string; labels: string }> {
  const dir = freshDir();
  await writeExample(dir, exampleSpec(seed));
  return { log: readFileSync(join(dir, EXAMPLE_LOG), 'latin1'), labels: readFileSync(join(dir, EXAMPLE_LABELS), 'latin1') };
}

beforeAll(async () => {
  log = (await example()).log;
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('Zeek dns.log writer', () => {
  it('writes the Zeek 6 header, with auth and addl appended', () => {
    const lines = log.split('\n');
    expect(lines.slice(0, 5)).toEqual(['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tdns']);
    expect(lines[5]).toBe('#open\t2025-04-03-00-00-00');
    expect(lines[6]).toBe(`#fields\t${[...ZEEK_DNS_FIELDS, 'auth', 'addl'].join('\t')}`);
    expect(lines[7]?.startsWith('#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring')).toBe(true);
    expect(lines[7]?.endsWith('vector[string]\tvector[interval]\tbool\tset[string]\tset[string]')).toBe(true);
    expect(lines[lines.length - 2]).toBe('#close\t2025-04-03-04-00-00');
    expect(lines[lines.length - 1]).toBe('');
  });

  it('writes valid TSV: every line has as many fields as the header names', () => {
    const lines = log.split('\n').filter((l) => l !== '');
    const fields = (lines.find((l) => l.startsWith('#fields\t')) ?? '').split('\t').slice(1);
    const types = (lines.find((l) => l.startsWith('#types\t')) ?? '').split('\t').slice(1);
    expect(types.length).toBe(fields.length);
    const col = (name: string): number => fields.indexOf(name);
    let previousTs = 0;
    let rows = 0;
    for (const line of lines) {
      if (line.startsWith('#')) continue;
      const row = line.split('\t');
      // Plain checks first: ~3,000 lines x 26 fields of expect() calls would dominate the test's time.
      if (row.length !== fields.length || row.includes('')) expect.fail(`bad field count or empty field: ${line}`);
      const ts = Number(row[col('ts')]);
      expect(ts).toBeGreaterThan(previousTs);
      previousTs = ts;
      expect(row[col('uid')]).toMatch(/^C[0-9A-Za-z]{17}$/);
      expect(row[col('qtype_name')]).toMatch(/^(A|AAAA)$/);
      const answers = row[col('answers')] ?? '';
      const ttls = row[col('TTLs')] ?? '';
      expect(answers === '-').toBe(ttls === '-');
      if (answers !== '-') {
        expect(answers.split(',').length).toBe(ttls.split(',').length);
        for (const ttl of ttls.split(',')) expect(ttl).toMatch(/^\d+\.000000$/);
      }
      rows++;
    }
    expect(rows).toBe(exampleSpec().traffic.records);
  });

  it('formats times and intervals as Zeek does', () => {
    expect(zeekSeconds(1743638400)).toBe('1743638400.000000');
    expect(zeekSeconds(1743638400.0123)).toBe('1743638400.012300');
    expect(zeekSeconds(0.000417)).toBe('0.000417');
    expect(zeekSeconds(12.5)).toBe('12.500000');
    expect(zeekHeaderTime(Date.UTC(2025, 3, 3, 4, 5, 6) / 1000)).toBe('2025-04-03-04-05-06');
  });
});

describe('the example corpus', () => {
  it('is byte-identical for the same seed and differs for another', async () => {
    const again = await example();
    expect(again.log === log).toBe(true);
    const other = await example(7);
    expect(other.log === log).toBe(false);
  });

  it('writes a label for every queried name', async () => {
    const { labels } = await example();
    const rows = labels.trim().split('\n');
    expect(rows[0]).toBe(LABELS_HEADER);
    const labelled = new Map(rows.slice(1).map((r) => [r.split(',')[0], r.split(',')]));
    for (const line of log.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const qname = line.split('\t')[9] ?? '';
      expect(labelled.has(qname), qname).toBe(true);
    }
    for (const [name, row] of labelled) {
      expect(row.length).toBe(5);
      // The registered domain is what the public suffix list says, multi-label suffixes included.
      expect(row[1], name).toBe(getDomain(name ?? ''));
      const [, , cls, flux, network] = row;
      if (cls === 'flux-single' || cls === 'flux-double') {
        expect(flux).toBe(cls.slice(5));
        expect(network).toMatch(/^fluxnet-[12]$/);
      } else {
        expect(flux).toBe('');
        expect(network).toBe('');
      }
    }
  });

  it('matches the bundled examples/ files (run `npm run example` after changing the generator)', async () => {
    const bundled = join(import.meta.dirname, '../../../examples');
    const { labels } = await example();
    expect(readFileSync(join(bundled, EXAMPLE_LOG), 'latin1') === log).toBe(true);
    expect(readFileSync(join(bundled, EXAMPLE_LABELS), 'latin1') === labels).toBe(true);
  });
});
