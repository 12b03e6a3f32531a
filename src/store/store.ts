/**
 * The store: what `fluxhound serve` keeps across restarts. One interface, so
 * that a scale-out backend can follow the embedded SQLite one; every backend
 * passes the same suite (store.case.ts).
 */
import type { FluxNetworkSummary } from '../detect/networks.js';
import type { Verdict } from '../model/verdict.js';

/** One passive-DNS tuple: a record seen in answers, aggregated. Times in seconds since the epoch. */
export interface PdnsTuple {
  /** Owner name, lower-case, no trailing dot. */
  name: string;
  type: string;
  data: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  /** The TTL of the latest sighting; null when unknown. */
  ttl: number | null;
}

/** A queried name, aggregated. */
export interface DomainSighting {
  name: string;
  firstSeen: number;
  lastSeen: number;
  queries: number;
}

/** A verdict as recorded at `ts` (seconds, wall clock). */
export interface RecordedVerdict {
  ts: number;
  verdict: Verdict;
}

/** Everything one flush writes; written atomically (all or nothing). */
export interface StoreBatch {
  tuples: PdnsTuple[];
  domains: DomainSighting[];
  verdicts: RecordedVerdict[];
  /** Current summaries of the flux networks (replace the stored ones with the same id). */
  networks: FluxNetworkSummary[];
  meta: Record<string, string>;
}

export interface StoreCounts {
  domains: number;
  verdicts: number;
  tuples: number;
  networks: number;
}

export interface Store {
  /** 'sqlite', ... (metric label and log field). */
  readonly backend: string;
  write(batch: StoreBatch): void;
  /** The latest verdict of every domain recorded at or after `since` whose latest verdict is not benign. */
  flaggedSince(since: number): RecordedVerdict[];
  /** Every recorded verdict of one domain, oldest first. */
  history(domain: string): RecordedVerdict[];
  /** Tuples last seen at or after `since`, oldest sighting first, at most `limit` (the newest are kept). */
  recentTuples(since: number, limit: number): PdnsTuple[];
  domain(name: string): DomainSighting | null;
  networks(): FluxNetworkSummary[];
  meta(key: string): string | null;
  /** Deletes tuples, verdicts, domains and networks last seen before `before`; returns the rows deleted. */
  sweep(before: number): number;
  counts(): StoreCounts;
  /** Bytes on disk (0 for a backend without a file). */
  sizeBytes(): number;
  /** 'ok', or what is wrong (SQLite's integrity_check). */
  check(): string;
  close(): void;
}

export function emptyBatch(): StoreBatch {
  return { tuples: [], domains: [], verdicts: [], networks: [], meta: {} };
}
