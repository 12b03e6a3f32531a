/**
 * Values as ClickHouse SQL literals. 18.16 predates query parameters
 * ({name:Type}), so every value the store puts in a query goes through one
 * of these: a string quoted with its backslashes and quotes escaped, a
 * number only when finite.
 */
import { clientMatch } from '../sqlite/query-keys.js';

export function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function sqlNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`clickhouse: ${String(n)} is not a finite number`);
  return String(n);
}

/** Seconds as whole microseconds (the query log's ordering column): integers compare exactly in a cursor. */
export function micros(seconds: number): number {
  return Math.round(seconds * 1_000_000);
}

/** An address filter ('10.1.0.0/16', '2001:db8::1') as a condition on a hex key column; a UsageError for anything else. */
export function clientCondition(column: string, filter: string): string {
  const match = clientMatch(filter);
  if ('exact' in match) return `${column} = ${sqlString(match.exact.toString('hex'))}`;
  return `${column} >= ${sqlString(match.low.toString('hex'))} AND ${column} <= ${sqlString(match.high.toString('hex'))}`;
}
