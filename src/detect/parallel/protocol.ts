/**
 * Messages between the partitioned detector (main thread) and its workers.
 * One direction each, in order: a worker handles its port's messages in the
 * order they were posted, which is what makes the run deterministic.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DnsObservation } from '../../model/observation.js';
import type { Verdict } from '../../model/verdict.js';
import type { DetectorStats, NetworkJoin } from '../detector.js';
import type { DetectorRecipe } from './recipe.js';

export interface WorkerSetup {
  recipe: DetectorRecipe;
  partition: number;
  partitions: number;
  /** Where epoch replies go: the main thread takes them synchronously (receiveMessageOnPort). */
  replies: MessagePort;
  /** Bumped (and notified) after each epoch reply, so the main thread can sleep until one comes. */
  signal: Int32Array;
}

/** A join with its place in the input: the observation (global index) that caused it, then its order within that observation. */
export interface PlacedJoin extends NetworkJoin {
  at: number;
  seq: number;
  partition: number;
}

/** A verdict leaving a worker, with the representative domain of each flux network it names (for renumbering). */
export interface VerdictOut {
  verdict: Verdict;
  /** Local label 'fn-N' → the first domain that joined it (null: the verdict names no network). */
  networks: Record<string, string> | null;
}

export type ToWorker =
  /** Observations of this partition (kind 0) and lookups of name servers its zones use (kind 1), in input order; `at` global indexes. */
  | { t: 'batch'; obs: DnsObservation[]; kinds: Uint8Array; at: Float64Array }
  /** End of an epoch: reply with its joins and verdicts, then wait for 'apply'. */
  | { t: 'exchange'; epoch: number }
  /** The other partitions' joins of the epoch, in global order. */
  | { t: 'apply'; joins: PlacedJoin[] }
  /** Finalise every domain; reply 'flushed'. */
  | { t: 'flush' }
  /** The current verdict of a domain of this partition. */
  | { t: 'current'; id: number; domain: string };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'epoch'; epoch: number; joins: PlacedJoin[]; flags: VerdictOut[]; finals: VerdictOut[] }
  | { t: 'flushed'; partition: number; joins: PlacedJoin[]; flags: VerdictOut[]; finals: VerdictOut[]; stats: DetectorStats; tracked: number }
  | { t: 'current'; id: number; verdict: VerdictOut | null }
  | { t: 'error'; message: string };
