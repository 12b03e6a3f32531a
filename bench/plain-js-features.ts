/**
 * The floor for any analyzer in JavaScript on issue 18's yardstick: exactly
 * the per-name features of the DuckDB query (duckdb-features.ts: distinct
 * addresses, /16s and /48s, ASNs and countries through the bundled range
 * tables, minimum and median TTL), computed by the plainest fast Node.js
 * program, with no detection at all. The file is read in 4 MiB blocks, lines
 * found with Buffer.indexOf and columns with a byte loop; every distinct
 * (name, address) pair lives in one typed-array hash table (plain-js-pairs.ts);
 * the ranges are sorted typed arrays searched by binary search
 * (plain-js-ranges.ts). Whatever an analyzer does per record comes on top.
 *
 * On N threads the names are split by a hash of the query's bytes: each
 * worker reads the whole file, skips the lines of other workers' names right
 * after the query column, and computes the final features of its own names,
 * so no partial result is ever merged. Every worker pays for finding every
 * line; splitting the file by byte ranges would not, but would have to move
 * and merge each name's address sets across threads instead.
 *
 * Run as its own process (`node dist/bench/plain-js-features.js FILE
 * RANGES.bin --threads N`) so its peak RSS is its own; prints one JSON line
 * in the shape of duckdb-features.js's.
 */
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ADDRESS, address, BAD_ADDRESS, parseAddress, parseDecimal, parseMicros } from './plain-js-answers.js';
import { PairTable } from './plain-js-pairs.js';
import { loadFloorRanges, lookupV4, lookupV6, type FloorRanges } from './plain-js-ranges.js';
import { forEachLine, latin1Slice, zeekColumns } from './zeek-tsv.js';
import type { DuckdbFeaturesResult, NameFeatures } from './duckdb-features.js';

const TAB = 9;
const COMMA = 44;
const DASH = 45;
/** Figures per name in FloorPart.figures: ips, prefixes, asns, countries, TTL min, TTL median (NaN: the SQL's NULL). */
const FIGURES = 6;

/** What one thread computed for its names. */
export interface FloorPart {
  names: string[];
  figures: Float64Array;
  /** Lines read (every thread reads them all). */
  records: number;
  /** Lines with fewer columns than the TTLs column, skipped. */
  skippedLines: number;
  /** Answers that looked like an address and did not parse, skipped (the SQL's NULL drops them too). */
  badAddresses: number;
}

/** Which names one thread owns: those whose query bytes hash to `index` of `count`. */
export interface Partition {
  index: number;
  count: number;
}

const WHOLE: Partition = { index: 0, count: 1 };

/** The features of one partition's names over a Zeek dns.log, on this thread. */
export function floorFeatures(file: string, ranges: FloorRanges, partition: Partition = WHOLE): FloorPart {
  const columns = zeekColumns(file);
  const at = ['ts', 'query', 'answers', 'TTLs'].map((c) => columns.indexOf(c));
  if (at.some((i) => i < 0)) throw new Error(`bench: plain-js features: ${file}: needs ts, query, answers and TTLs in #fields`);
  const scan = new LineScan(at as [number, number, number, number], partition);
  forEachLine(file, (buffer, start, stop) => scan.line(buffer, start, stop));
  return { ...scan.features(ranges), records: scan.records, skippedLines: scan.skippedLines, badAddresses: scan.badAddresses };
}

class LineScan {
  records = 0;
  skippedLines = 0;
  badAddresses = 0;
  private readonly names = new Map<string, number>();
  private readonly nameList: string[] = [];
  private readonly pairs = new PairTable();
  /** Where each field up to the TTLs column starts, and where the TTLs column ends. */
  private readonly starts: Int32Array;
  private readonly last: number;

  constructor(
    private readonly at: readonly [ts: number, query: number, answers: number, ttls: number],
    private readonly partition: Partition,
  ) {
    this.last = Math.max(...at);
    this.starts = new Int32Array(this.last + 2);
  }

  line(buffer: Buffer, start: number, stop: number): void {
    this.records++;
    const starts = this.starts;
    const last = this.last;
    const [tsAt, queryAt, answersAt, ttlsAt] = this.at;
    const { index, count } = this.partition;
    starts[0] = start;
    let field = 0;
    let i = start;
    if (count > 1 && queryAt < last) {
      // Another thread's name: stop at the end of the query column, before the costly half of the line.
      for (; i < stop && field <= queryAt; i++) if (buffer[i] === TAB) starts[++field] = i + 1;
      if (field > queryAt && partitionOf(buffer, starts[queryAt]!, i - 1, count) !== index) return;
    }
    for (; i < stop && field <= last; i++) if (buffer[i] === TAB) starts[++field] = i + 1;
    if (field <= last) {
      if (field < last) {
        this.skippedLines++;
        return;
      }
      starts[last + 1] = stop + 1; // the TTLs column ends the line
    }
    if (count > 1 && queryAt === last && partitionOf(buffer, starts[queryAt]!, starts[queryAt + 1]! - 1, count) !== index) return;
    const answersStart = starts[answersAt]!;
    const answersEnd = starts[answersAt + 1]! - 1;
    if (answersEnd - answersStart === 1 && buffer[answersStart] === DASH) return; // unanswered
    const queryStart = starts[queryAt]!;
    const queryEnd = starts[queryAt + 1]! - 1;
    const ts = parseMicros(buffer, starts[tsAt]!, starts[tsAt + 1]! - 1);
    let ttlFrom = starts[ttlsAt]!;
    const ttlsEnd = starts[ttlsAt + 1]! - 1;
    let nameId = -1;
    let from = answersStart;
    // Answers and TTLs are parallel vectors; a missing TTL is the SQL's NULL.
    for (let i = answersStart; i <= answersEnd; i++) {
      if (i < answersEnd && buffer[i] !== COMMA) continue;
      let ttl = Number.NaN;
      if (ttlFrom <= ttlsEnd) {
        let ttlTo = ttlFrom;
        while (ttlTo < ttlsEnd && buffer[ttlTo] !== COMMA) ttlTo++;
        ttl = parseDecimal(buffer, ttlFrom, ttlTo);
        ttlFrom = ttlTo + 1;
      }
      const kind = parseAddress(buffer, from, i);
      from = i + 1;
      if (kind !== ADDRESS) {
        if (kind === BAD_ADDRESS) this.badAddresses++;
        continue;
      }
      if (nameId < 0) nameId = this.nameId(latin1Slice.call(buffer, queryStart, queryEnd));
      this.pairs.add(nameId, address[0]!, address[1]!, address[2]!, address[3]!, ttl, ts);
    }
  }

  private nameId(name: string): number {
    let id = this.names.get(name);
    if (id === undefined) {
      id = this.nameList.length;
      this.names.set(name, id);
      this.nameList.push(name);
    }
    return id;
  }

  /** Every name's six figures from its pairs, enriched through the range tables. */
  features(ranges: FloorRanges): { names: string[]; figures: Float64Array } {
    const p = this.pairs;
    // The pairs grouped by name: a counting sort of slot numbers.
    const firstOf = new Int32Array(this.nameList.length + 1);
    for (let s = 0; s < p.size; s++) firstOf[p.name[s]! + 1]!++;
    for (let n = 0; n < this.nameList.length; n++) firstOf[n + 1]! += firstOf[n]!;
    const order = new Int32Array(p.size);
    const cursor = firstOf.slice(0, this.nameList.length);
    for (let s = 0; s < p.size; s++) order[cursor[p.name[s]!]!++] = s;
    const figures = new Float64Array(this.nameList.length * FIGURES);
    const prefixes = new Set<number>();
    const asns = new Set<number>();
    const countries = new Set<number>();
    const latest: number[] = [];
    for (let n = 0; n < this.nameList.length; n++) {
      prefixes.clear();
      asns.clear();
      countries.clear();
      latest.length = 0;
      let ttlMin = Number.NaN;
      for (let k = firstOf[n]!; k < firstOf[n + 1]!; k++) {
        const s = order[k]!;
        const w = s * 4;
        const w0 = p.words[w]!;
        const w1 = p.words[w + 1]!;
        const w2 = p.words[w + 2]!;
        const w3 = p.words[w + 3]!;
        let asn: number;
        let country: number;
        if (w0 === 0 && w1 === 0 && w2 === 0xffff) {
          prefixes.add(0xffff * 65536 + (w3 >>> 16)); // the SQL's ip >> 16 for ::ffff:a.b.c.d
          asn = lookupV4(ranges.asnV4, w3);
          country = lookupV4(ranges.countryV4, w3);
        } else {
          prefixes.add(w0 * 65536 + (w1 >>> 16)); // ip >> 80: the /48
          asn = lookupV6(ranges.asnV6, w0, w1, w2, w3);
          country = lookupV6(ranges.countryV6, w0, w1, w2, w3);
        }
        if (asn >= 0) asns.add(asn);
        if (country >= 0) countries.add(country);
        const min = p.ttlMin[s]!;
        if (min === min && !(min >= ttlMin)) ttlMin = min;
        const ttl = p.ttlLatest[s]!;
        if (ttl === ttl) latest.push(ttl);
      }
      const f = n * FIGURES;
      figures[f] = firstOf[n + 1]! - firstOf[n]!;
      figures[f + 1] = prefixes.size;
      figures[f + 2] = asns.size;
      figures[f + 3] = countries.size;
      figures[f + 4] = ttlMin;
      figures[f + 5] = median(latest);
    }
    return { names: this.nameList, figures };
  }
}

/** DuckDB's median of DOUBLEs (quantile_cont 0.5): the middle value, or lo + (hi - lo) * 0.5 between two. */
function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  values.sort((x, y) => x - y);
  const mid = (values.length - 1) / 2;
  const lo = values[Math.floor(mid)]!;
  const hi = values[Math.ceil(mid)]!;
  return lo === hi ? lo : lo + (hi - lo) * 0.5;
}

/** FNV-1a over the query's bytes: which thread owns the name. */
function partitionOf(buffer: Buffer, start: number, end: number, count: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buffer[i]!, 16777619);
  return (h >>> 0) % count;
}

/** The parts as DuckDB's rows: name → features, NULL TTLs as null. */
export function floorRows(part: Pick<FloorPart, 'names' | 'figures'>): Map<string, NameFeatures> {
  const rows = new Map<string, NameFeatures>();
  const orNull = (v: number): number | null => (v === v ? v : null);
  part.names.forEach((name, n) => {
    const f = part.figures.subarray(n * FIGURES, n * FIGURES + FIGURES);
    rows.set(name, { ips: f[0]!, prefixes: f[1]!, asns: f[2]!, countries: f[3]!, ttlMin: orNull(f[4]!), ttlMedian: orNull(f[5]!) });
  });
  return rows;
}

interface WorkerJob {
  floorJob: true;
  file: string;
  rangesPath: string;
  partition: Partition;
}

interface WorkerReply {
  names: string;
  figures: Float64Array;
  records: number;
  skippedLines: number;
  badAddresses: number;
}

/**
 * All names over `threads` worker threads, one partition each; resolves when
 * every worker's rows have reached this thread. `workerUrl` is this module
 * as built (dist/bench/plain-js-features.js); tests under vitest pass it.
 */
export async function floorFeaturesThreads(file: string, rangesPath: string, threads: number, workerUrl: URL = new URL(import.meta.url)): Promise<FloorPart> {
  const replies = await Promise.all(
    Array.from({ length: threads }, (_, index) => {
      const job: WorkerJob = { floorJob: true, file, rangesPath, partition: { index, count: threads } };
      return new Promise<WorkerReply>((resolve, reject) => {
        const worker = new Worker(workerUrl, { workerData: job });
        let replied = false;
        worker.once('message', (reply: WorkerReply) => {
          replied = true;
          resolve(reply);
        });
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (!replied) reject(new Error(`bench: plain-js features: worker ${index} exited with ${code} before its rows`));
        });
      });
    }),
  );
  const names = replies.flatMap((r) => (r.names === '' ? [] : r.names.split('\n')));
  const figures = new Float64Array(names.length * FIGURES);
  let at = 0;
  for (const r of replies) {
    figures.set(r.figures, at);
    at += r.figures.length;
  }
  const first = replies[0]!;
  return { names, figures, records: first.records, skippedLines: first.skippedLines, badAddresses: replies.reduce((sum, r) => sum + r.badAddresses, 0) };
}

function runWorker(job: WorkerJob): void {
  const part = floorFeatures(job.file, loadFloorRanges(job.rangesPath), job.partition);
  const reply: WorkerReply = { ...part, names: part.names.join('\n') };
  parentPort!.postMessage(reply, [part.figures.buffer as ArrayBuffer]);
}

async function main(argv: readonly string[]): Promise<void> {
  const [file, rangesPath, flag, value] = argv;
  const threads = Number(value);
  if (file === undefined || rangesPath === undefined || flag !== '--threads' || !Number.isInteger(threads) || threads < 1 || argv.length !== 4) {
    throw new Error('bench: plain-js features: usage: plain-js-features.js FILE RANGES.bin --threads N');
  }
  const started = process.hrtime.bigint();
  // One thread runs here, as the bare-query floor does; N threads are N workers.
  const part = threads === 1 ? floorFeatures(file, loadFloorRanges(rangesPath)) : await floorFeaturesThreads(file, rangesPath, threads);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const result: DuckdbFeaturesResult & Pick<FloorPart, 'records' | 'skippedLines' | 'badAddresses'> = {
    threads,
    names: part.names.length,
    elapsedMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    records: part.records,
    skippedLines: part.skippedLines,
    badAddresses: part.badAddresses,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (!isMainThread && (workerData as Partial<WorkerJob> | null)?.floorJob === true) {
  runWorker(workerData as WorkerJob);
} else if (isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
