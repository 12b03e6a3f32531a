/**
 * A real SQLite store holding a day of two customers' query log, one flux
 * verdict with its evidence, one deny entry and per-minute stats: what the
 * transparency-report tests (library, CLI, schedule) read. Everything goes
 * in through store.write batches and changeList, as the daemon writes it.
 */
import { escapeName } from '../../src/dns/name-text.js';
import type { Customer } from '../../src/act/customers.js';
import type { ListChange, QueryAction, QueryLogEntry } from '../../src/model/query-log.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { emptyBatch, type AsyncStore, type StatsBucket, type StoreBatch } from '../../src/store/store.js';
import { flaggedVerdict } from './verdicts.js';

/** 2026-11-30T00:00:00Z: the day the log covers is [T0, T0 + 86400). */
export const T0 = Date.UTC(2026, 10, 30) / 1000;

export const HOSTILE = '=1+1<script>alert(1)</script>.evil.example';

export const CUSTOMERS: Customer[] = [
  { id: 'acme', name: 'ACME <Ltd> & "Sons"', contact: 'soc@acme.example', networks: ['192.0.2.0/24'] },
  { id: 'globex', name: 'Globex', contact: '', networks: ['198.51.100.0/24'] },
];

export const DENY_COMMENT = '=HYPERLINK("http://x") phishing kit, reported by CERT';

/** A query-log entry of the shape the forwarder logs. */
export function entry(ts: number, client: string, customer: string | null, name: string, action: QueryAction, over: Partial<QueryLogEntry> = {}): QueryLogEntry {
  const pass = action === 'pass';
  return {
    ts,
    client,
    customer,
    name: escapeName(name),
    qtype: 'A',
    action,
    rcode: action === 'drop' ? null : action === 'nxdomain' ? 'NXDOMAIN' : 'NOERROR',
    domain: pass ? null : 'evil.example',
    verdict: pass ? null : 'fast-flux',
    score: pass ? null : 91,
    rule: pass ? null : 'verdict',
    reason: pass ? null : '40 IPs in 12 ASNs across 9 countries',
    ...over,
  };
}

/** The evil.example verdict: double flux, with addresses, ASNs and name servers. */
export function evilVerdict() {
  const v = flaggedVerdict('evil.example', {
    flux: 'double',
    reasons: ['40 IPs in 12 ASNs across 9 countries', 'name servers rotate: 6 NS addresses in 5 ASNs', 'hostile <b>reason</b> "quoted"'],
    addresses: [
      { address: '203.0.113.5', asn: 64500 },
      { address: '198.18.0.9', asn: 64501 },
      { address: '192.0.2.200', asn: 13335, known: true },
    ],
    nameServers: ['ns1.evil.example', 'ns2.evil.example'],
    nsAddresses: ['203.0.113.53'],
  });
  v.score = 91;
  v.network = 'fn-3';
  v.features.ips = 40;
  v.features.asns = 12;
  v.features.countries = 9;
  return v;
}

/** The day's entries, oldest first (one batch each hour's worth is not needed: the store takes them in time order). */
export function dayEntries(t0 = T0): QueryLogEntry[] {
  return [
    entry(t0 + 100, '192.0.2.9', 'acme', 'login.evil.example', 'exposed'),
    entry(t0 + 200, '192.0.2.7', 'acme', 'login.evil.example', 'sinkhole'),
    entry(t0 + 250, '198.51.100.5', 'globex', 'login.evil.example', 'sinkhole'),
    entry(t0 + 300, '192.0.2.8', 'acme', 'login.evil.example', 'sinkhole'),
    entry(t0 + 400, '192.0.2.7', 'acme', 'login.evil.example', 'nxdomain'),
    entry(t0 + 500, '192.0.2.7', 'acme', 'bad.deny.example', 'nxdomain', {
      domain: 'deny.example',
      verdict: null,
      score: null,
      rule: 'denylist',
      reason: DENY_COMMENT,
    }),
    entry(t0 + 600, '192.0.2.11', 'acme', HOSTILE, 'sinkhole'),
    entry(t0 + 700, '192.0.2.10', 'acme', 'cdn.evil.example', 'log'),
    entry(t0 + 800, '192.0.2.10', 'acme', 'www.example.org', 'pass'),
    // The next day: outside the report.
    entry(t0 + 86_400 + 10, '192.0.2.7', 'acme', 'late.evil.example', 'sinkhole'),
  ];
}

export function dayStats(t0 = T0): StatsBucket[] {
  return [
    { ts: t0, customer: 'acme', queries: 600, blocked: 4, logged: 0 },
    { ts: t0 + 600, customer: 'acme', queries: 400, blocked: 1, logged: 1 },
    { ts: t0 + 240, customer: 'globex', queries: 70, blocked: 1, logged: 0 },
    { ts: t0 + 86_400, customer: 'acme', queries: 9, blocked: 1, logged: 0 },
  ];
}

/** The writes that seed the day, in order: what a daemon's flushes and one list change wrote. */
export function seedWrites(t0 = T0): Array<{ batch: StoreBatch } | { change: ListChange }> {
  const entries = dayEntries(t0);
  return [
    { batch: { ...emptyBatch(), verdicts: [{ ts: t0 + 50, verdict: evilVerdict() }] } },
    { change: { op: 'add', list: 'deny', name: 'deny.example', comment: DENY_COMMENT, by: 'alice', at: t0 - 3600 } },
    // Two batches, as two flushes would write them.
    { batch: { ...emptyBatch(), queries: entries.slice(0, 5), stats: dayStats(t0).slice(0, 2) } },
    { batch: { ...emptyBatch(), queries: entries.slice(5), stats: dayStats(t0).slice(2) } },
  ];
}

/** Opens (creating) the store at `path` and writes the day into it. */
export function seedStore(path: string, t0 = T0): SqliteStore {
  const store = new SqliteStore(path);
  for (const w of seedWrites(t0)) {
    if ('batch' in w) store.write(w.batch);
    else store.changeList(w.change);
  }
  return store;
}

/** The same day written into any backend (the cluster's ClickHouseStore). */
export async function seedAsync(store: AsyncStore, t0 = T0): Promise<void> {
  for (const w of seedWrites(t0)) {
    if ('batch' in w) await store.write(w.batch);
    else await store.changeList(w.change);
  }
}
