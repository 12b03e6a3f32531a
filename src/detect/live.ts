/**
 * What a long-running daemon (serve) asks of its detector, whichever runs
 * it: one `Detector` in the main thread, or the partitioned detector's
 * worker threads behind serve's adapter (src/serve/worker-detector.ts).
 * Every method is synchronous, so the answer path never waits on a thread.
 */
import type { DnsObservation } from '../model/observation.js';
import type { Verdict } from '../model/verdict.js';
import type { DetectorStats, NetworkMembers } from './detector.js';
import type { FluxNetworks } from './networks.js';

export interface LiveDetector {
  /** One live observation (its flags reach the daemon through onFlag). */
  observe(obs: DnsObservation): void;
  /**
   * False when the detector cannot take an observation now without making
   * the caller wait (its workers are too far behind): the caller fails
   * open, as the forwarder does when its queue is full. Absent: always room.
   */
  room?(): boolean;
  /**
   * Why the detector cannot examine live observations now (a worker thread failed, the workers are
   * behind), for GET /health; null when it can. Absent: always can.
   */
  health?(): string | null;
  /** The domain's verdict now, or null (with workers: the last verdict they reported for it). */
  current(domain: string): Verdict | null;
  /** The domain's verdict from the state that holds it (a worker's: asynchronous); absent: current() is it. */
  live?(domain: string): Promise<Verdict | null>;
  /** A flag restored from the store: not raised again when the domain comes back. */
  rememberFlag(v: Verdict): void;
  /** The flux networks found so far. */
  readonly networks: FluxNetworks;
  /** A network's domains and addresses (the API's network view); null when unknown or not held here. */
  networkMembers(label: string, limit: number): NetworkMembers | null;
  /** networkMembers from the state that holds it (every worker's: asynchronous); absent: networkMembers is it. */
  liveNetworkMembers?(label: string, limit: number): Promise<NetworkMembers | null>;
  readonly tracked: number;
  readonly stats: DetectorStats;
}
