/**
 * Messages and shared counters between the partitioned detector (main
 * thread) and its workers. See README.md: each worker marks how far into
 * the input it has got (its watermark); before an observation at global
 * index i it waits until every other worker is past i and has published its
 * flux-network events before i, so it sees the graph one Detector would see.
 */
import type { FlushEntry } from './flush-order.js';
import type { MessagePort } from 'node:worker_threads';
import type { Verdict } from '../../model/verdict.js';
import type { AddressKey } from '../address-table.js';
import type { Config } from '../../config/schema.js';
import type { PackedIntelIndex } from '../../intel/index.js';
import type { DetectorStats, NetworkJoin, NetworkMembers, SuspiciousJoin } from '../detector.js';
import type { DetectorRecipe } from './recipe.js';

/** Shared Int32 slots: one watermark, one published-event count and one waiting flag per worker, then the abort flag. */
export interface SharedCounters {
  /** Worker p has dealt with every global index below watermark[p] (and published its events there). */
  watermark: Int32Array;
  /** Flux-network events worker p has posted to the others. */
  published: Int32Array;
  /** The lowest index someone waits for worker p's watermark to reach (0: nobody; p notifies once it gets there). */
  waiting: Int32Array;
  /** [0] = 1: a worker failed or the detector closed; everyone stops waiting. */
  abort: Int32Array;
}

export interface WorkerSetup {
  recipe: DetectorRecipe;
  partition: number;
  partitions: number;
  /** Observations by which the other partitions' events may lag (0: exact, see README.md). */
  lag: number;
  counters: SharedCounters;
  /** Ports to every other worker (index = its partition; null at this worker's own). */
  peers: (MessagePort | null)[];
  /** serve's live detector (see LiveSetup below); absent: analyze. */
  live?: LiveSetup;
}

/** A flux-network event with its place in the input: the observation (global index) during which it happened, then its order there. */
export type NetworkEvent = ({ k: 'join' } & NetworkJoin) | { k: 'touch'; key: AddressKey; hash: number } | ({ k: 'suspect' } & SuspiciousJoin);
export type PlacedEvent = NetworkEvent & { at: number; seq: number; partition: number };

/** A verdict leaving a worker: its place in the input, and the first domain of each flux network it names (for renumbering). */
export interface VerdictOut {
  verdict: Verdict;
  final: boolean;
  at: number;
  seq: number;
  /** Local label 'fn-N' → the first domain that joined it (null: the verdict names no network). */
  networks: Record<string, string> | null;
  /** A verdict of flush(): the entry it finalised, for one detector's order (flush-order.ts). */
  flush?: FlushEntry;
}

// ---------------------------------------------------------------------------
// Live (serve --workers) messages: the observe path only. The main thread
// asks every worker and each answers one 'live-reply' with the same id
// (PartitionedDetector.ask). Changes are two-phase: 'live-prepare' checks and
// holds a change, 'live-commit' applies it, 'live-abort' drops it; a change
// reaches every worker or none (src/serve/worker-detector.ts).
// ---------------------------------------------------------------------------

/** What the daemon changes in every worker's detector at once. */
export type LiveChange =
  /** A reloaded config (SIGHUP): its sections replace the worker's as the daemon's replace its own. */
  | { k: 'config'; config: Config }
  /** The intel index in force, packed (intel/index.ts packIntelIndex; null: none). */
  | { k: 'intel'; index: PackedIntelIndex | null }
  /** A feed's copy was confirmed: its entries stay valid until expiresAt (IntelIndex.renew). */
  | { k: 'renew'; feed: string; expiresAt: number }
  /** The allowlist's names (configured and managed): intel never flags a name under one of them. */
  | { k: 'allowlist'; names: string[] };

export type LiveRequest =
  /** Domains held and the detector's counters now (the tracked-domains gauge, detector metrics). */
  | { t: 'live-stats'; id: number }
  /**
   * This partition's part of a flux network for the API: the edges of its own domains among `sample`, and facts of
   * up to `limit` addresses. `label` is the main thread's; `first` the network's first domain (to find it should
   * the worker's numbering differ).
   */
  | { t: 'live-members'; id: number; label: string; first: string; limit: number }
  | { t: 'live-prepare'; id: number; change: LiveChange }
  | { t: 'live-commit'; id: number }
  | { t: 'live-abort'; id: number };

export interface LiveReply {
  t: 'live-reply';
  id: number;
  partition: number;
  /** Why the worker refused (prepare) or could not answer; null when it did. */
  error: string | null;
  stats?: { tracked: number; stats: DetectorStats };
  members?: NetworkMembers | null;
}

/** What a worker needs for the live path (absent: analyze). */
export interface LiveSetup {
  /** Flows come to the daemon: the worker keeps its own flow evidence from the flows handed with its batches. */
  flows: boolean;
}

// ---------------------------------------------------------------------------
// Routed reading (router.ts): the main thread reads the inputs and hands each
// worker only its lines.
// ---------------------------------------------------------------------------

/** A data line of this partition's names (or one the decoder will skip before its name: partition 0's). */
export const LINE_OWN = 0;
/** A lookup of a name server that zones of this partition may use: observed as such only if they do (Detector.servesZones). */
export const LINE_SERVED = 1;
/** A header line ('#...'): every worker's decoder reads it, it has no index. */
export const LINE_HEADER = 2;
/** A line over the length cap (no bytes): partition 0's decoder reports it. */
export const LINE_OVERLONG = 3;

/**
 * One worker's lines of a batch, in input order: line k is bytes[ends[k-1], ends[k]) (without its
 * newline), of kind kinds[k] (LINE_*), at global index at[k] (-1: a header line), line number lines[k] in
 * input `name` (the file-th). `foreign`: filter bits (foreign.ts) of the other partitions' answer addresses
 * in this batch; `everyForeign`: one of them could not be read as plain text. Then every index below
 * `upTo` is dealt with.
 */
export interface RoutedLines {
  t: 'lines';
  file: number;
  name: string;
  bytes: Uint8Array;
  ends: Int32Array;
  kinds: Uint8Array;
  at: Float64Array;
  lines: Float64Array;
  foreign: Int32Array;
  everyForeign: boolean;
  upTo: number;
}
