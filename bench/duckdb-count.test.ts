/** The peer query is only a fair yardstick if it computes the right thing on real Zeek TSV. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countDistinctAnswers, distinctAnswersSql, zeekColumns } from './duckdb-count.js';
import { plainCount } from './plain-js-count.js';

const example = join(import.meta.dirname, '../examples/example.dns.log');

/** The same counts, computed line by line in JS from the TSV. */
function expected(variant: 'unnest' | 'sets'): Map<string, number> {
  const sets = new Map<string, Set<string>>();
  const fields = zeekColumns(example);
  const query = fields.indexOf('query');
  const answers = fields.indexOf('answers');
  for (const line of readFileSync(example, 'latin1').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const row = line.split('\t');
    const name = row[query] ?? '';
    const value = row[answers] ?? '-';
    if (variant === 'unnest' && value === '-') continue;
    const set = sets.get(name) ?? new Set<string>();
    for (const v of variant === 'unnest' ? value.split(',') : [value]) set.add(v);
    sets.set(name, set);
  }
  return new Map([...sets].map(([name, set]) => [name, set.size]));
}

describe('DuckDB distinct-answers query', () => {
  it('reads every column of the example log as text', () => {
    const columns = zeekColumns(example);
    expect(columns.slice(0, 3)).toEqual(['ts', 'uid', 'id.orig_h']);
    expect(columns.at(-2)).toBe('auth');
    expect(distinctAnswersSql(example, columns, 'sets')).toContain("'id.orig_h': 'VARCHAR'");
  });

  it.each(['unnest', 'sets'] as const)('counts the %s variant exactly as a line-by-line count does', async (variant) => {
    const { rows, result } = await countDistinctAnswers(example, variant, 1);
    expect(result.threads).toBe(1);
    expect(new Map(rows)).toEqual(expected(variant));
    expect(result.elapsedMs).toBeGreaterThan(0);
  });
});

describe('plain-JS ceiling', () => {
  it('computes the same rows as the line-by-line count and DuckDB', async () => {
    const plain = plainCount(example);
    expect(plain.rows).toEqual(expected('unnest'));
    const { rows } = await countDistinctAnswers(example, 'unnest', 1);
    expect(plain.rows).toEqual(new Map(rows));
    const lines = readFileSync(example, 'latin1').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(plain.records).toBe(lines.length);
  });
});
