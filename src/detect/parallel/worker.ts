/**
 * One partition's detector in a worker thread (see README.md). Before each
 * observation at global index i it waits until every other worker is past
 * i, then applies their flux-network events placed before i, in input
 * order: its graph is the one a single Detector would hold at that point,
 * whatever the thread timing.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { Detector } from '../detector.js';
import type { Verdict } from '../../model/verdict.js';
import type { DnsObservation, SkippedRecord } from '../../model/observation.js';
import { InputError, readInputs, type InputSummary } from '../../sources/input.js';
import { sourceFormats } from '../../sources/registry.js';
import { partitionOf } from '../partition.js';
import type { AddressKey } from '../address-table.js';
import { FOREIGN_BITS, foreignBit } from './foreign.js';
import { parseIPv4 } from '../../model/names.js';
import type { DetectorStats } from '../detector.js';
import type { FlushEntry, FlushNames } from './flush-order.js';
import type { LiveReply, LiveRequest, NetworkEvent, PlacedEvent, RoutedLines, VerdictOut, WorkerSetup } from './protocol.js';
import { RoutedDecoding, type FileCounts } from './routed-worker.js';
import type { FlowRecord } from '../../model/flow.js';
import { LivePartition } from './live-worker.js';
import { cookRecipe } from './recipe.js';
import { abortAll, advance, byPlace, reached, waitFor } from './watermark.js';

if (parentPort === null) throw new Error('detect/parallel: worker.js runs only as a worker thread');
const port: MessagePort = parentPort;
const setup = workerData as WorkerSetup;
const me = setup.partition;
const counters = setup.counters;
const post = (message: FromWorker): void => port.postMessage(message);

/** A skipped record and its place in the input (before the record at `at`, or that record itself). */
export interface PlacedSkip {
  skipped: SkippedRecord;
  at: number;
  seq: number;
}

/** Names whose partition a reading worker remembers (then it starts over): ~20 MiB at most. 65,536 was below the
 * 98k names of the 1.27M-record throughput corpus, so the memo started over every few thousand records. */
const MEMO_NAMES = 262_144;
/** Reading: a worker stores its mark at least this often (records), and at once when a peer waits for it. */
const PASS_EVERY = 64;
/** Reading: a worker waits when a peer is this many records behind (see keepUp). */
const MAX_DRIFT = 4096;
const NONE = 0;
const OWN = 1;
const SERVED = 2;

/** What the main thread (index.ts) posts, in order. */
export type ToWorker =
  /**
   * This partition's observations (kind 0) and lookups of name servers its zones use (kind 1), in input order, at
   * global indexes `at`; then every index below `upTo` is dealt with. serve with flows: the daemon's flows, each
   * taken before the observation at its `flowAt` (LivePartition.flows).
   */
  | { t: 'batch'; obs: DnsObservation[]; kinds: Uint8Array; at: Float64Array; upTo: number; flows?: FlowRecord[]; flowAt?: Float64Array }
  /**
   * Read these inputs here (analyze): every worker decodes every record, in the same order, so the
   * global index is known without the main thread; it observes its partition's records and the
   * lookups of name servers its zones use. Reply 'done's as it goes, then 'read'.
   */
  | { t: 'read'; files: string[]; format: string; batch: number }
  /** Routed reading (router.ts): this worker's lines of a batch; reply 'done'. */
  | RoutedLines
  /** Routed reading ended: reply 'done', then 'read'. */
  | { t: 'lines-end' }
  /** Finalise every domain; reply 'flushed'. */
  | { t: 'flush' }
  /** The current verdict of a domain of this partition. */
  | { t: 'current'; id: number; domain: string }
  /** serve's live path (protocol.ts "Live"). */
  | LiveRequest;

/** What a worker posts back. */
export type FromWorker =
  | { t: 'ready' }
  /** After each batch: the verdicts and network joins it made; every index below `through` is dealt with. */
  | { t: 'done'; partition: number; through: number; verdicts: VerdictOut[]; joins: PlacedEvent[]; skips?: PlacedSkip[] }
  /** Reading (partition 0 only): bytes read so far, their total, the file, records decoded. */
  | { t: 'progress'; read: number; total: number | null; file: string; records: number }
  /** Reading ended: what was read (records and conflicting responses of this partition's names). */
  | { t: 'read'; partition: number; inputs: InputSummary[]; records: number; conflicts: number; through: number; perFile?: FileCounts }
  | { t: 'flushed'; partition: number; verdicts: VerdictOut[]; stats: DetectorStats; tracked: number; names: FlushNames }
  | { t: 'current'; id: number; verdict: VerdictOut | null }
  | { t: 'error'; partition: number; message: string; input?: boolean }
  | LiveReply;


async function main(): Promise<void> {
  const { enricher, infra } = await cookRecipe(setup.recipe);
  const live = setup.live === undefined ? null : new LivePartition(setup.live, setup.recipe.config, infra);
  let at = -1;
  let seq = 0;
  let verdicts: VerdictOut[] = [];
  /** During flush(): the entry being finalised, and every name of the table (flush-order.ts rebuilds one detector's order). */
  let flushing: FlushEntry | undefined;
  let flushNames: FlushNames = { names: [], born: [] };
  let events: PlacedEvent[] = [];
  const consumed = new Int32Array(setup.partitions);
  /** Other partitions' events not yet due (placed at or after the current index), in place order. */
  const due: PlacedEvent[] = [];
  /** Reading: the other partitions' events before `at` may not all be applied yet (beforeShared waits for them). */
  let behind = false;
  /**
   * Reading: the answer addresses of every record read so far that this
   * partition does not own, as a one-hash Bloom filter (fixed 2 MiB, nothing
   * allocated per record): a false "maybe" only makes a rescore wait as it
   * used to. 65k distinct addresses (the 1.27M-record throughput corpus's
   * other partition) set 0.4% of the bits.
   */
  let reading = false;
  const foreign = new Int32Array(FOREIGN_BITS >>> 5);
  /** An answer not read as plain text: any address may be another partition's. */
  let everyForeign = false;
  const noteForeign = (key: AddressKey | null): void => {
    if (key === null) everyForeign = true;
    else {
      const bit = foreignBit(key);
      foreign[bit >>> 5]! |= 1 << (bit & 31);
    }
  };
  const mayBeForeign = (key: AddressKey): boolean => {
    const bit = foreignBit(key);
    return everyForeign || (foreign[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  };

  const detector: Detector = new Detector({
    config: setup.recipe.config,
    enricher,
    infra,
    baseline: setup.recipe.baseline,
    reportBenign: setup.recipe.reportBenign,
    // serve: the daemon's intel index, allowlist and flow evidence, as it commits them (null for analyze).
    intel: live?.view ?? null,
    isAllowlisted: live?.isAllowlisted ?? null,
    flows: live?.flows ?? null,
    onFlag: (v) => verdicts.push(out(v, false)),
    onFinal: (v) => {
      const placed = out(v, true);
      if (flushing !== undefined) placed.flush = flushing;
      verdicts.push(placed);
    },
    place: () => at,
    onFlushEntry: (group, key, born) => {
      flushing = { group, key, born };
      if (group === 0) {
        flushNames.names.push(key);
        flushNames.born.push(born);
      }
    },
    onNetworkJoin: (join) => publish({ k: 'join', ...join }),
    onNetworkTouch: (key, hash) => publish({ k: 'touch', key, hash }),
    onSuspiciousJoin: (join) => publish({ k: 'suspect', ...join }),
    // Only a reader knows what the others' records carry; fed batches, every rescore catches up as before.
    foreignAddress: (key) => !reading || mayBeForeign(key),
    beforeShared: () => {
      catchUpIfBehind();
    },
  });

  function publish(event: NetworkEvent): void {
    const placed = { ...event, at, seq: seq++, partition: me } as PlacedEvent;
    for (const peer of setup.peers) peer?.postMessage(placed);
    // After the posts: a peer that sees the count finds the messages on its port.
    Atomics.add(counters.published, me, 1);
    // The main thread keeps the flux-network graph only (summaries, numbering).
    if (placed.k !== 'suspect') events.push(placed);
  }

  /** The verdict and, for each flux network it names, the network's first domain: the main thread renumbers by it. */
  function out(verdict: Verdict, final: boolean): VerdictOut {
    const placed = { verdict, final, at, seq: seq++, networks: null as Record<string, string> | null };
    if (verdict.features.network_id === 0 && verdict.network === null) return placed;
    placed.networks = {};
    for (const label of labelsIn(verdict)) {
      const root = detector.networks.idOf(label);
      const first = root < 0 ? undefined : detector.networks.sampleOf(root)[0];
      if (first !== undefined) placed.networks[label] = first;
    }
    return placed;
  }

  /** Wait until every other worker is past index i - lag, take their events, apply those placed before it. */
  function catchUp(index: number): void {
    const i = index - setup.lag;
    if (i <= 0) return;
    for (let q = 0; q < setup.partitions; q++) {
      if (q === me) continue;
      waitFor(counters, q, i);
      const peer = setup.peers[q]!;
      const published = Atomics.load(counters.published, q);
      while (consumed[q]! < published) {
        const got = receiveMessageOnPort(peer) as { message: PlacedEvent } | undefined;
        if (got === undefined) continue; // posted, not yet queued here: it is on its way
        consumed[q]!++;
        insertByPlace(due, got.message);
      }
    }
    let n = 0;
    while (n < due.length && due[n]!.at < i) n++;
    if (n === 0) return;
    for (const event of due.splice(0, n)) {
      if (event.k === 'join') detector.adoptNetworkJoin(event);
      else if (event.k === 'touch') detector.networks.noteTouch(event.key, event.hash);
      else detector.adoptSuspiciousJoin(event);
    }
  }

  /** The mark this worker last stored (reading: pass() stores it lazily). */
  let stored = 0;
  /**
   * Reading: everything below i is dealt with. The mark is stored every
   * PASS_EVERY records, or at once when it reaches what a peer waits for: a store at every
   * record kept the line holding the marks bouncing between the two cores
   * (advance() was a fifth of a worker's samples).
   */
  function pass(i: number): void {
    const awaited = Atomics.load(counters.waiting, me);
    if (i - stored >= PASS_EVERY || (awaited !== 0 && reached(i, awaited))) {
      settle(i);
      keepUp(i);
    }
  }
  /**
   * Reading: stay within MAX_DRIFT records of every peer. Readers that wait
   * only where it can matter drift apart, and at their next wait the one
   * ahead idles while the other catches up alone (measured: fewer waits, yet
   * a slower run on a loaded machine); in step, both cores stay busy.
   */
  function keepUp(i: number): void {
    const floor = i - MAX_DRIFT;
    if (floor <= 0) return;
    for (let q = 0; q < setup.partitions; q++) if (q !== me && !reached(Atomics.load(counters.watermark, q), floor)) waitFor(counters, q, floor);
  }
  /** Reading: apply the others' events before `at` if some may be missing. */
  function catchUpIfBehind(): void {
    if (!behind) return;
    behind = false;
    // The peers may wait for this worker too: its mark must say where it is before it waits for theirs.
    settle(at);
    catchUp(at);
  }
  function settle(i: number): void {
    advance(counters, me, i);
    stored = i;
  }

  /**
   * A record at global index `index` is to be observed here (reading). The
   * others' events before it that are already known (placed before every
   * peer's watermark) are applied now, without waiting; the rest only when
   * the detector is about to use the shared state (beforeShared): most
   * observations only update their own domain's state, and waiting for the
   * slowest peer at every one of them is what made exact mode slow.
   */
  function enter(index: number): void {
    if (index === at) return;
    pass(index);
    let known = index;
    for (let q = 0; q < setup.partitions; q++) if (q !== me) known = Math.min(known, Atomics.load(counters.watermark, q));
    catchUp(known);
    at = index;
    seq = 0;
    behind = true;
  }

  /**
   * Read every input (see ToWorker 'read'). Partition 0 alone reports what is
   * counted once per record (skipped records, conflicting responses, progress),
   * so the run's summary stays exact. Every record moves this worker's
   * watermark: a peer waiting for it waits only as long as the decoding.
   */
  async function readAll(files: string[], format: string, batch: number): Promise<void> {
    reading = true;
    const n = setup.partitions;
    let index = 0;
    /**
     * Names recur (1.27M lookups of 98k names in the throughput corpus): a
     * bounded memo of their partitions saves most registered-domain parses.
     */
    const memo = new Map<string, number>();
    const partitionOfName = (qname: string): number => {
      let p = memo.get(qname);
      if (p === undefined) {
        if (memo.size >= MEMO_NAMES) memo.clear();
        p = partitionOf(qname, n);
        memo.set(qname, p);
      }
      return p;
    };
    let conflicts = 0;
    /** Observations of this partition's names: the partitions' counts add up to the run's. */
    let records = 0;
    let posted = 0;
    let skips: PlacedSkip[] = [];
    let skipSeq = 0;
    /** What admit() said of the record now being decoded (NONE: it was not asked). */
    let admitted = NONE;
    const report = (): void => {
      settle(index);
      post({ t: 'done', partition: me, through: index, verdicts, joins: events, ...(skips.length > 0 ? { skips } : {}) });
      verdicts = [];
      events = [];
      skips = [];
      posted = index;
    };
    const inputs = await readInputs(files, {
      format,
      formats: sourceFormats,
      onProgress: me === 0 ? (read, total, file) => post({ t: 'progress', read, total, file, records: index }) : undefined,
      sink: {
        // Zeek TSV asks before decoding the rest of a record: the others' records cost this worker only their
        // columns and query name.
        admit(qname) {
          index++;
          if (partitionOfName(qname) === me) admitted = OWN;
          else if (detector.servesZones(qname)) admitted = SERVED;
          else {
            pass(index - 1);
            if (index - posted >= batch) report();
            return false;
          }
          return true;
        },
        refusedAddress: noteForeign,
        observe(o) {
          // The index is counted where every worker counts it: at admit() when the decoder asks, else here.
          const i = admitted !== NONE ? index - 1 : index++;
          const whose = admitted !== NONE ? admitted : partitionOfName(o.qname) === me ? OWN : detector.servesZones(o.qname) ? SERVED : NONE;
          admitted = NONE;
          if (whose === OWN) {
            records++;
            if (o.conflict === true) conflicts++;
            enter(i);
            detector.observe(o);
          } else {
            for (const rr of o.answers) {
              if (rr.type === 'A') noteForeign(parseIPv4(rr.data) | 0);
              else if (rr.type === 'AAAA') noteForeign(rr.data);
            }
            if (whose === SERVED) {
              enter(i);
              detector.observeServer(o);
            } else pass(i);
          }
          if (index - posted >= batch) report();
        },
        // A record skipped after admit() is reported by its partition (placed at its index); one skipped before
        // (or by a decoder that does not ask) by partition 0, placed before the next record. The main thread
        // releases skips in place order, so the first ones sampled are the input's first.
        skip(s) {
          const whose = admitted;
          admitted = NONE;
          if (whose === OWN) skips.push({ skipped: s, at: index - 1, seq: skipSeq++ });
          else if (whose === NONE && me === 0) skips.push({ skipped: s, at: index, seq: skipSeq++ });
          else return;
          // Hostile input may be all skips: bounded like a batch.
          if (skips.length >= batch) report();
        },
        // The plan admits DNS-only inputs.
        flow() {},
      },
    });
    // What the others published before this partition's last record is applied, as when it was read.
    catchUpIfBehind();
    report();
    post({ t: 'read', partition: me, inputs, records, conflicts, through: index });
  }

  /**
   * Routed reading: the lines come from the main thread, this partition's
   * only. They are observed as a reader observes its records (lazy catch-up,
   * the foreign-address filter, waits only where they can matter); after each
   * batch, every index below its upTo is dealt with.
   */
  const routed = new RoutedDecoding({
    own(o, index) {
      enter(index);
      detector.observe(o);
    },
    served(o, index) {
      enter(index);
      detector.observeServer(o);
    },
    servesZones: (qname) => detector.servesZones(qname),
  });
  let routedThrough = 0;
  function routedBatch(message: RoutedLines): void {
    reading = true;
    for (const bit of message.foreign) foreign[bit >>> 5]! |= 1 << (bit & 31);
    if (message.everyForeign) everyForeign = true;
    const skips = routed.batch(message);
    routedThrough = message.upTo;
    settle(message.upTo);
    keepUp(message.upTo);
    post({ t: 'done', partition: me, through: message.upTo, verdicts, joins: events, ...(skips.length > 0 ? { skips } : {}) });
    verdicts = [];
    events = [];
  }
  function routedEnd(): void {
    routed.end();
    // What the others published before this partition's last record is applied, as when it was read.
    catchUpIfBehind();
    settle(routedThrough);
    post({ t: 'done', partition: me, through: routedThrough, verdicts, joins: events });
    verdicts = [];
    events = [];
    post({ t: 'read', partition: me, inputs: [], records: routed.records, conflicts: routed.conflicts, through: routedThrough, perFile: routed.perFile });
  }

  function handle(message: ToWorker): void {
    switch (message.t) {
      case 'read':
        readAll(message.files, message.format, message.batch).catch(failed);
        return;
      case 'lines':
        routedBatch(message);
        return;
      case 'lines-end':
        routedEnd();
        return;
      case 'batch': {
        const flows = message.flows;
        let flow = 0;
        for (let i = 0; i < message.obs.length; i++) {
          const index = message.at[i]!;
          if (flows !== undefined && flow < flows.length) flow = live!.takeFlows(flows, message.flowAt!, flow, index);
          if (index !== at) {
            advance(counters, me, index);
            catchUp(index);
            at = index;
            seq = 0;
          }
          if (message.kinds[i] === 0) detector.observe(message.obs[i]!);
          else detector.observeServer(message.obs[i]!);
        }
        if (flows !== undefined) live!.takeFlows(flows, message.flowAt!, flow, Infinity);
        advance(counters, me, message.upTo);
        post({ t: 'done', partition: me, through: message.upTo, verdicts, joins: events });
        verdicts = [];
        events = [];
        return;
      }
      case 'flush': {
        const tracked = detector.tracked;
        at = Number.MAX_SAFE_INTEGER;
        seq = 0;
        detector.flush();
        flushing = undefined;
        post({ t: 'flushed', partition: me, verdicts, stats: detector.stats, tracked, names: flushNames });
        verdicts = [];
        flushNames = { names: [], born: [] };
        return;
      }
      case 'current': {
        const v = detector.current(message.domain);
        post({ t: 'current', id: message.id, verdict: v === null ? null : out(v, false) });
        return;
      }
      default: {
        const reply = live?.handle(message, detector, me) ?? null;
        if (reply !== null) post(reply);
        return;
      }
    }
  }
  port.on('message', (message: ToWorker) => {
    try {
      handle(message);
    } catch (err) {
      failed(err);
    }
  });
  post({ t: 'ready' });
}

function insertByPlace(list: PlacedEvent[], event: PlacedEvent): void {
  let i = list.length;
  while (i > 0 && byPlace(list[i - 1]!, event) > 0) i--;
  list.splice(i, 0, event);
}

/** Every 'fn-N' a verdict names: its network, the network of its features, its reasons. */
function labelsIn(verdict: Verdict): Set<string> {
  const labels = new Set<string>();
  if (verdict.network !== null) labels.add(verdict.network);
  if (verdict.features.network_id > 0) labels.add(`fn-${verdict.features.network_id}`);
  for (const reason of verdict.reasons) for (const m of reason.matchAll(/\bfn-\d+\b/g)) labels.add(m[0]);
  return labels;
}

/** Everyone stops waiting; the main thread is told. */
function failed(err: unknown): void {
  abortAll(counters);
  if (err instanceof InputError) post({ t: 'error', partition: me, message: err.message, input: true });
  else post({ t: 'error', partition: me, message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}

main().catch(failed);
