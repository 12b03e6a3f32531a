/**
 * The query log at scale: N rows (10 million by default) generated on the
 * fly and written into a fresh SQLite store through the daemon's own write
 * path (batches of one flush each, handed to the writer thread as columns),
 * then the console's searches timed on it, each the median of several runs
 * against a target of one second. `node dist/bench/querylog.js` runs it
 * alone; FLUXHOUND_BENCH_QUERYLOG_ROWS and FLUXHOUND_BENCH_QUERYLOG_RUNS
 * make it smaller or longer; FLUXHOUND_BENCH_QUERYLOG_FILE times the searches
 * on an existing store instead (nothing written, the file kept).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Prng } from '../src/corpus/prng.js';
import type { QueryAction, QueryLogEntry } from '../src/model/query-log.js';
import { BackgroundWriter } from '../src/store/sqlite/background-writer.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { emptyBatch, type QueryLogFilter, type StatsBucket, type Store, type StoreBatch } from '../src/store/store.js';

export interface QuerylogBenchOptions {
  rows: number;
  runs: number;
  /** Entries per batch: one flush of a daemon logging every query at this many queries a second. */
  batch: number;
  seed: number;
  /** Folder for the temporary store (removed afterwards); the OS temp folder by default. */
  dir?: string;
  /** An existing store to search instead of generating one. */
  file?: string;
  /**
   * Fill fast instead of through the daemon's path: written in this thread
   * with the query log's indexes dropped, then built once at the end. For a
   * host too slow or too busy to write 10M rows the daemon's way in time; the
   * insert rate then is not the daemon's (the report says which it is).
   */
  bulk?: boolean;
}

export interface SearchFigure {
  what: string;
  /** Milliseconds, one per run. */
  ms: number[];
  medianMs: number;
  /** Entries on the first page (limit 100). */
  entries: number;
  pass: boolean;
}

export interface QuerylogFigures {
  rows: number;
  batch: number;
  insertSeconds: number;
  rowsPerSecond: number;
  /** How the rows were written: 'writer' (the daemon's path), 'bulk' (indexes built after), 'existing' (not written here). */
  fill: 'writer' | 'bulk' | 'existing';
  fileBytes: number;
  searches: SearchFigure[];
  targetMs: number;
  failures: string[];
}

export const TARGET_MS = 1000;
/** Where the generated day ends (a fixed time, so runs are comparable). */
export const END = 1_800_000_000;
const DAY = 86_400;
const CUSTOMERS = 200;
const CLIENTS_PER_CUSTOMER = 120;
const FLAGGED_DOMAINS = 2000;
const PASS_DOMAINS = 100_000;
const TLDS = ['top', 'xyz', 'ru', 'online', 'site'];
const LABELS = ['www', 'cdn', 'api', 'img', 'm', 'login', 'mail', 'static'];
const REASONS = ['14 IPs in 11 ASNs across 7 countries', 'NS set changed 4 times in 1 h', 'TTL 30 s with 9 new addresses a lookup', 'on the deny list: phishing kit'];

/** The share of each action among logged queries: every query logged (sample 1), most of them passed. */
const ACTION_SHARES: readonly [QueryAction, number][] = [
  ['pass', 0.85],
  ['nxdomain', 0.08],
  ['log', 0.025],
  ['sinkhole', 0.02],
  ['nodata', 0.01],
  ['drop', 0.01],
  ['exposed', 0.005],
];

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): QuerylogBenchOptions {
  const number = (name: string, fallback: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`bench: ${name} takes a positive whole number, not '${text}'`);
    return n;
  };
  const file = env.FLUXHOUND_BENCH_QUERYLOG_FILE;
  return {
    rows: number('FLUXHOUND_BENCH_QUERYLOG_ROWS', 10_000_000),
    runs: number('FLUXHOUND_BENCH_QUERYLOG_RUNS', 5),
    batch: 10_000,
    seed: 1,
    ...(file === undefined || file === '' ? {} : { file }),
    ...(env.FLUXHOUND_BENCH_QUERYLOG_BULK === '1' ? { bulk: true } : {}),
  };
}

export function customerId(i: number): string {
  return `c${String(i).padStart(3, '0')}`;
}

/** Customer i's IPv4 network: a /20 in 10/8. */
export function customerNetwork(i: number): string {
  return `10.${i >> 4}.${(i & 15) << 4}.0/20`;
}

function clientOf(customer: number, host: number): string {
  // One client in ten on IPv6 (the customer's /48).
  if (host % 10 === 9) return `2001:db8:${customer.toString(16)}::${(host + 1).toString(16)}`;
  return `10.${customer >> 4}.${((customer & 15) << 4) + (host >> 8)}.${(host & 255) + 1}`;
}

export function flaggedDomain(k: number): string {
  return `fx${k}.${TLDS[k % TLDS.length]}`;
}

/**
 * The generated log, in time order: customers and their clients skewed (a few
 * busy ones, a long tail), 5% of clients in no customer's network, names
 * under 2,000 flagged domains for every action but pass, under 100,000 others
 * for pass.
 */
export class QueryLogGenerator {
  private readonly rng: Prng;
  private i = 0;
  private readonly thresholds: number[] = [];

  constructor(
    readonly rows: number,
    seed: number,
  ) {
    this.rng = new Prng(seed);
    let sum = 0;
    for (const [, share] of ACTION_SHARES) this.thresholds.push((sum += share));
  }

  get done(): boolean {
    return this.i >= this.rows;
  }

  next(): QueryLogEntry {
    const rng = this.rng;
    const ts = Math.round((END - DAY + (this.i++ * DAY) / this.rows) * 1000) / 1000;
    const skew = rng.next();
    const customer = Math.floor(skew * skew * CUSTOMERS);
    const host = Math.floor(rng.next() ** 2 * CLIENTS_PER_CUSTOMER);
    const outside = rng.chance(0.05);
    const client = outside ? `198.18.${rng.int(64)}.${rng.range(1, 254)}` : clientOf(customer, host);
    const draw = rng.next();
    let a = 0;
    while (a < ACTION_SHARES.length - 1 && draw >= this.thresholds[a]!) a++;
    const action = ACTION_SHARES[a]![0];
    const label = LABELS[rng.int(LABELS.length)]!;
    if (action === 'pass') {
      const d = Math.floor(rng.next() ** 3 * PASS_DOMAINS);
      return entry(ts, client, outside ? null : customerId(customer), `${label}.site${d}.com`, action, 'NOERROR', null, null, null, null, null);
    }
    const k = Math.floor(rng.next() ** 2 * FLAGGED_DOMAINS);
    const domain = flaggedDomain(k);
    const denied = k % 10 === 3;
    const rcode = action === 'nxdomain' ? 'NXDOMAIN' : action === 'drop' ? null : 'NOERROR';
    const score = denied ? 100 : 40 + (k % 60);
    return entry(ts, client, outside ? null : customerId(customer), `${label}.${domain}`, action, rcode, domain, score >= 60 ? 'fast-flux' : 'suspicious', score, denied ? 'denylist' : 'verdict', REASONS[k % REASONS.length]!);
  }
}

function entry(
  ts: number,
  client: string,
  customer: string | null,
  name: string,
  action: QueryAction,
  rcode: string | null,
  domain: string | null,
  verdict: QueryLogEntry['verdict'],
  score: number | null,
  rule: QueryLogEntry['rule'],
  reason: string | null,
): QueryLogEntry {
  return { ts, client, customer, name, qtype: name.charCodeAt(0) % 3 === 0 ? 'AAAA' : 'A', action, rcode, domain, verdict, score, rule, reason };
}

/** The batch's per-minute counts, as the daemon's QueryStats would drain them. */
function statsOf(queries: readonly QueryLogEntry[]): StatsBucket[] {
  const buckets = new Map<string, StatsBucket>();
  for (const q of queries) {
    if (q.action === 'exposed') continue;
    const ts = Math.floor(q.ts / 60) * 60;
    const key = `${ts}|${q.customer ?? ''}`;
    let b = buckets.get(key);
    if (b === undefined) buckets.set(key, (b = { ts, customer: q.customer ?? '', queries: 0, blocked: 0, logged: 0 }));
    b.queries++;
    if (q.action === 'log') b.logged++;
    else if (q.action !== 'pass') b.blocked++;
  }
  return [...buckets.values()];
}

/** The generator's next `size` rows (fewer at the end) as a batch with their per-minute counts. */
function nextBatch(generator: QueryLogGenerator, size: number): StoreBatch {
  const batch = emptyBatch();
  for (let i = 0; i < size && !generator.done; i++) batch.queries.push(generator.next());
  batch.stats = statsOf(batch.queries);
  return batch;
}

/** Writes the generated rows through the writer thread (or in this thread when running from sources); resolves with the seconds taken. */
async function fill(path: string, options: QuerylogBenchOptions, log: (line: string) => void): Promise<number> {
  const generator = new QueryLogGenerator(options.rows, options.seed);
  let failure: Error | null = null;
  let written = 0;
  let wake: (() => void) | null = null;
  const writer = BackgroundWriter.create(path, {
    onWritten: (_ms, _t, _v, queries) => {
      written += queries;
      wake?.();
    },
    onSwept: () => {},
    onError: (message) => {
      failure = new Error(`querylog bench: write failed: ${message}`);
      wake?.();
    },
  });
  const inThread = writer === null ? new SqliteStore(path) : null;
  const started = performance.now();
  let sent = 0;
  let nextReport = 1_000_000;
  while (!generator.done) {
    const batch = nextBatch(generator, options.batch);
    sent += batch.queries.length;
    if (inThread !== null) inThread.write(batch);
    else {
      // Back-pressure: at most 4 batches wait for the thread (it drops beyond 8, as in the daemon).
      while (writer!.pending >= 4 && failure === null) await new Promise<void>((r) => (wake = r));
      writer!.write(batch);
    }
    if (failure !== null) throw failure;
    if (sent >= nextReport) {
      log(`querylog: ${sent.toLocaleString('en-US')} rows handed over, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      nextReport += 1_000_000;
    }
  }
  if (writer !== null) {
    while (writer.pending > 0 && failure === null) await new Promise<void>((r) => (wake = r));
    await writer.close();
    if (failure !== null) throw failure;
    if (written !== options.rows) throw new Error(`querylog bench: ${written} rows written of ${options.rows}`);
  }
  inThread?.close();
  return (performance.now() - started) / 1000;
}

/** The bulk fill (options.bulk): the same rows and batches, in this thread, the indexes built after the last one. */
function fillBulk(path: string, options: QuerylogBenchOptions, log: (line: string) => void): number {
  const generator = new QueryLogGenerator(options.rows, options.seed);
  const started = performance.now();
  const db = new Database(path);
  const indexes = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'querylog' AND sql IS NOT NULL`).all() as { name: string; sql: string }[];
  for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
  db.close();
  const store = new SqliteStore(path);
  let sent = 0;
  let nextReport = 1_000_000;
  while (!generator.done) {
    const batch = nextBatch(generator, options.batch);
    store.write(batch);
    sent += batch.queries.length;
    if (sent >= nextReport) {
      log(`querylog: ${sent.toLocaleString('en-US')} rows written (bulk, no indexes yet), ${((performance.now() - started) / 1000).toFixed(0)} s`);
      nextReport += 1_000_000;
    }
  }
  store.close();
  const again = new Database(path);
  for (const index of indexes) {
    const t = performance.now();
    again.exec(index.sql);
    log(`querylog: index ${index.name} built in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  again.pragma('wal_checkpoint(TRUNCATE)');
  again.close();
  return (performance.now() - started) / 1000;
}

/** The searches the console makes, each a first page of 100, newest first; hours count back from `newest` (the newest row's time). */
export function searches(newest = END): { what: string; filter: QueryLogFilter; pages?: number }[] {
  const hour = (h: number) => ({ since: newest - h * 3600, until: newest - (h - 1) * 3600 });
  return [
    { what: 'newest 100, no filter', filter: {} },
    { what: 'client (one busy address)', filter: { client: '10.0.0.1' } },
    { what: 'client (one quiet address)', filter: { client: '10.9.96.31' } },
    { what: 'client CIDR (a customer /20)', filter: { client: customerNetwork(7) } },
    { what: 'client CIDR (10/8, most rows)', filter: { client: '10.0.0.0/8' } },
    { what: 'customer + 1 h range', filter: { customer: customerId(3), ...hour(5) } },
    { what: 'name subtree (a flagged domain)', filter: { name: flaggedDomain(17) } },
    { what: 'name subtree (a TLD: a fifth of the flagged)', filter: { name: 'top' } },
    { what: 'name subtree (a quiet domain, 1 h)', filter: { name: 'site5000.com', ...hour(2) } },
    { what: 'action sinkhole', filter: { actions: ['sinkhole'] } },
    { what: 'actions blocked (4 of 7)', filter: { actions: ['nxdomain', 'nodata', 'drop', 'sinkhole'] } },
    { what: 'combined: customer + blocked + subtree + 1 h', filter: { customer: customerId(3), actions: ['nxdomain', 'sinkhole'], name: 'top', ...hour(3) } },
    { what: 'combined, rare: quiet /20 + flagged domain', filter: { client: customerNetwork(150), name: flaggedDomain(1500) } },
    { what: 'combined, none: /20 + exposed + domain + 1 h', filter: { client: customerNetwork(190), actions: ['exposed'], name: flaggedDomain(1999), ...hour(20) } },
    { what: 'page 10 by cursor: customer CIDR', filter: { client: customerNetwork(1) }, pages: 10 },
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Times each search `runs` times (the whole cursor walk for a paged one: its last page's time is what a user waits, the total is reported). */
function timeSearches(store: Store, runs: number): SearchFigure[] {
  const out: SearchFigure[] = [];
  const newest = store.queryLog({}, 1).entries[0]?.ts ?? END;
  for (const s of searches(newest)) {
    const ms: number[] = [];
    let entries = 0;
    for (let r = 0; r < runs; r++) {
      let cursor: string | null = null;
      const started = performance.now();
      for (let p = 0; p < (s.pages ?? 1); p++) {
        const page = store.queryLog(s.filter, 100, cursor);
        entries = page.entries.length;
        cursor = page.next;
        if (cursor === null) break;
      }
      ms.push(performance.now() - started);
    }
    const medianMs = median(ms);
    out.push({ what: s.what, ms, medianMs, entries, pass: medianMs < TARGET_MS });
  }
  for (const [what, customer] of [
    ['stats: 24 h by hour, every customer', undefined],
    ['stats: 24 h by hour, one customer', customerId(3)],
  ] as const) {
    const ms: number[] = [];
    let points = 0;
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      const until = Math.ceil(newest / 3600) * 3600;
      points = store.stats({ since: until - DAY, until, step: 3600, customer }).length;
      ms.push(performance.now() - started);
    }
    const medianMs = median(ms);
    out.push({ what, ms, medianMs, entries: points, pass: medianMs < TARGET_MS });
  }
  return out;
}

export async function benchQuerylog(options: QuerylogBenchOptions, log: (line: string) => void): Promise<QuerylogFigures> {
  if (options.file !== undefined) return searchOnly(options.file, options.runs, log);
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'fluxhound-querylog-bench-'));
  const path = join(dir, 'querylog.db');
  const failures: string[] = [];
  try {
    new SqliteStore(path).close();
    log(`querylog: writing ${options.rows.toLocaleString('en-US')} rows in batches of ${options.batch.toLocaleString('en-US')} into ${path}`);
    const insertSeconds = options.bulk === true ? fillBulk(path, options, log) : await fill(path, options, log);
    const store = new SqliteStore(path);
    try {
      const fileBytes = store.sizeBytes();
      const searchesTimed = timeSearches(store, options.runs);
      for (const s of searchesTimed) if (!s.pass) failures.push(`querylog: ${s.what}: median ${s.medianMs.toFixed(0)} ms, target < ${TARGET_MS} ms`);
      return { rows: options.rows, batch: options.batch, fill: options.bulk === true ? 'bulk' : 'writer', insertSeconds, rowsPerSecond: options.rows / insertSeconds, fileBytes, searches: searchesTimed, targetMs: TARGET_MS, failures };
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The searches on an existing store (FLUXHOUND_BENCH_QUERYLOG_FILE): nothing written, no insert figures. */
function searchOnly(path: string, runs: number, log: (line: string) => void): QuerylogFigures {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const rows = (db.prepare('SELECT count(*) AS n FROM querylog').get() as { n: number }).n;
  db.close();
  log(`querylog: searching ${path} (${rows.toLocaleString('en-US')} rows)`);
  const store = new SqliteStore(path);
  try {
    const timed = timeSearches(store, runs);
    const failures = timed.filter((s) => !s.pass).map((s) => `querylog: ${s.what}: median ${s.medianMs.toFixed(0)} ms, target < ${TARGET_MS} ms`);
    return { rows, batch: 0, fill: 'existing', insertSeconds: 0, rowsPerSecond: 0, fileBytes: store.sizeBytes(), searches: timed, targetMs: TARGET_MS, failures };
  } finally {
    store.close();
  }
}

export function formatQuerylog(f: QuerylogFigures): string {
  const written = f.fill !== 'existing';
  const how =
    f.fill === 'writer'
      ? `through the writer thread in batches of ${f.batch.toLocaleString('en-US')}`
      : `in bulk (batches of ${f.batch.toLocaleString('en-US')} in this thread, indexes built after: not the daemon's insert rate)`;
  const lines = [
    written
      ? `Query log at scale (bench/querylog.ts): ${f.rows.toLocaleString('en-US')} rows ${how}`
      : `Query log at scale (bench/querylog.ts): an existing store of ${f.rows.toLocaleString('en-US')} rows`,
    `  ${written ? `insert: ${f.insertSeconds.toFixed(1)} s, ${Math.round(f.rowsPerSecond).toLocaleString('en-US')} rows/s; ` : ''}file ${(f.fileBytes / 1e6).toFixed(0)} MB (${(f.fileBytes / f.rows).toFixed(0)} B a row with its indexes)`,
    `  searches (first page of 100, newest first; median of ${f.searches[0]?.ms.length ?? 0} runs; target < ${f.targetMs} ms each):`,
  ];
  for (const s of f.searches) lines.push(`    ${s.pass ? 'pass' : 'FAIL'}  ${s.medianMs.toFixed(1).padStart(8)} ms  ${String(s.entries).padStart(4)} entries  ${s.what}`);
  for (const failure of f.failures) lines.push(`  FAILED: ${failure}`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.dirname, 'querylog.js')) {
  benchQuerylog(optionsFromEnv(), (line) => process.stderr.write(`${line}\n`))
    .then((figures) => {
      process.stdout.write(`${formatQuerylog(figures)}\n`);
      if (figures.failures.length > 0) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
