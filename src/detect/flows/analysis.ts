/**
 * Flow analytics (issue 16): flows joined with the DNS verdicts of the same
 * run or daemon. One FlowAnalysis per run (analyze) or daemon (serve); it
 * hears every flow, every DNS observation (who looked up what, for DNS
 * bypass) and every verdict (which addresses are flux hosts), and reports
 * exposures and fan-out to its FlowFindingSink. It is also the Detector's
 * FlowEvidenceSource: what flows say about a domain's addresses.
 *
 * Memory is bounded by config flows.limits; every count it reports stays
 * exact (totals are kept even when the per-address client list is full).
 */
import type { Exposure, FanOut, FlowEvidence, FlowRecord } from '../../model/flow.js';
import type { DnsObservation } from '../../model/observation.js';
import type { Verdict } from '../../model/verdict.js';

export interface FlowFindingSink {
  exposure(exposure: Exposure): void;
  fanOut(fanOut: FanOut): void;
}

/** What the Detector asks when it scores a domain (DetectorOptions.flows). */
export interface FlowEvidenceSource {
  /**
   * Flow evidence for these (own, not CDN/cloud) addresses of a domain within
   * [at - window - lateness, at + lateness] (data time, epoch seconds); null
   * when no flow reached any of them.
   */
  evidence(addresses: readonly string[], at: number): FlowEvidence | null;
  /**
   * False while evidence() answers null whatever it is asked (no flow
   * absorbed yet: a DNS-only run): a score taken meanwhile owes nothing to
   * flows (the detector's score memo relies on it).
   */
  hasEvidence(): boolean;
}

export interface FlowAnalysisStats {
  flows: number;
  /** Flows not from or to a tracked flux address (most of them). */
  unmatched: number;
  exposures: number;
  fanOuts: number;
  bypasses: number;
  /** Entries evicted to stay within flows.limits, per table. */
  evictedHosts: number;
  evictedAddresses: number;
}

export interface FlowAnalysis extends FlowEvidenceSource {
  /** A decoded flow, any source; flows may arrive out of order, before or after the DNS they belong to. */
  flow(flow: FlowRecord): void;
  /** A DNS observation (client, name, answers): lookups for DNS bypass and which names answered with which address. */
  observe(observation: DnsObservation): void;
  /** A verdict: 'flag' when it crosses a threshold (serve), 'final' when it is reported/evicted; flagged ones define the flux hosts. */
  verdict(verdict: Verdict, event: 'flag' | 'final'): void;
  /**
   * No flow will come (analyze: no flow so far and every input left is DNS-only). What is kept of the DNS
   * only to prove a DNS bypass (who received which address, who looked up what) is dropped and no more is
   * kept: on a DNS-only run that memory is most of the flow analysis' cost. Ignored once a flow has come.
   * A flow that comes anyway is still analysed; its exposures are never claimed as bypass (bypassUnknown).
   */
  noFlowsToCome?(): void;
  /** The input ended (analyze) or the daemon stops: report what is still pending. */
  flush(): void;
  readonly stats: FlowAnalysisStats;
}
