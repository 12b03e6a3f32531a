/**
 * Messages and shared counters between the partitioned detector (main
 * thread) and its workers. See README.md: each worker marks how far into
 * the input it has got (its watermark); before an observation at global
 * index i it waits until every other worker is past i and has published its
 * flux-network events before i, so it sees the graph one Detector would see.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Verdict } from '../../model/verdict.js';
import type { AddressKey } from '../address-table.js';
import type { NetworkJoin, SuspiciousJoin } from '../detector.js';
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
}
