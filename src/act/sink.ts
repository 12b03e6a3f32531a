/** What every action implements: verdicts in, something done with them. */
import type { FluxNetworkSummary } from '../detect/networks.js';
import type { Exposure, FanOut } from '../model/flow.js';
import type { Verdict } from '../model/verdict.js';

export interface VerdictSink {
  /** 'ndjson', 'table', 'rpz', ... */
  readonly name: string;
  /** Called for every final verdict the run reports (already filtered by --all). */
  verdict(verdict: Verdict): void;
  /** The flux networks of the run, once detection has finished and before close (sinks that describe them: STIX). */
  networks?(summaries: FluxNetworkSummary[]): void;
  /** A client's traffic with a flux host (flow data joined with the verdicts); sinks that report it: NDJSON, store. */
  exposure?(exposure: Exposure): void;
  /** A host that contacted numerous distinct addresses in a short window. */
  fanOut?(fanOut: FanOut): void;
  /** The run ended; flush and release. */
  close(): Promise<void>;
}
