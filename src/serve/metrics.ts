/**
 * The daemon's own metrics, in the one registry every service declares into:
 * what reached the detector, what the actions hold, which build runs, the
 * process itself (prom-client's standard process_* and nodejs_* families),
 * and how SIGHUP reloads went.
 */
import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client';
import { packageVersion } from '../config/package.js';
import type { FlowAnalysisStats } from '../detect/flows/analysis.js';
import type { FlowAnalysisCounts } from '../detect/flows/index.js';
import type { FlowPathStats } from './flow-path.js';
import { scrapedCounter, scrapedGauge, type Reading } from './scraped.js';

export interface DaemonMetrics {
  reloads: Counter<'result'>;
}

/** What the daemon's families read at scrape time: its counts are plain numbers on the per-record path. */
export interface DaemonReadings {
  stats: { readonly observations: number; readonly skipped: number; readonly flagEvents: number; readonly detectorPassedBy: number };
  flagged: () => number;
  tracked: () => number;
  /** Observations of the root or a public suffix, never scored (Detector.stats.publicSuffixes). */
  publicSuffixes: () => number;
  /** Verdicts FlaggedDomains refused because they name the root or a public suffix. */
  flaggedRefusedSuffixes: () => number;
  /** Threshold crossings not printed again because the store had restored that flag (Detector.stats.restoredFlags). */
  restoredFlags: () => number;
  /** Observations the detector's worker threads have not all examined yet (0 with one Detector in this thread). */
  workerBacklog: () => number;
  /** Flows not handed to the worker threads' flow evidence because they were too far behind (--workers only). */
  workerFlowsPassedBy: () => number;
  /** Changes (config, intel, renew, allowlist) every worker took, or none took, by change and result (--workers only). */
  workerChanges: () => Reading;
}

export function daemonMetrics(registry: Registry, live: DaemonReadings): DaemonMetrics {
  collectDefaultMetrics({ register: registry });
  // Gauges named *_total, which promtool rejects (a _total is a counter); nodejs_active_{handles,requests,resources}{type} hold the same by type.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  new Gauge({
    name: 'fluxhound_build_info',
    help: 'Always 1; the labels say which fluxhound and which Node.js run.',
    labelNames: ['version', 'node'],
    registers: [registry],
  }).set({ version: packageVersion(), node: process.version }, 1);
  scrapedGauge(registry, 'fluxhound_flagged_domains', 'Domains in the live flagged set the actions block.', live.flagged);
  scrapedGauge(registry, 'fluxhound_tracked_domains', 'Names and registered domains the detector holds state for.', live.tracked);
  scrapedCounter(registry, 'fluxhound_detector_public_suffixes_total', 'Observations of the root or a public suffix (ICANN or private): never scored, never flagged.', live.publicSuffixes);
  scrapedCounter(
    registry,
    'fluxhound_flagged_refused_total',
    'Verdicts the live flagged set refused, by reason (public_suffix: the domain or its registered domain is a public suffix or the root).',
    () => [[{ reason: 'public_suffix' }, live.flaggedRefusedSuffixes()]],
    ['reason'],
  );
  scrapedCounter(registry, 'fluxhound_detector_restored_flags_total', 'Threshold crossings not emitted as flag events because the store restored that flag at start.', live.restoredFlags);
  scrapedCounter(registry, 'fluxhound_observations_total', 'Live observations handed to the detector (every service).', () => live.stats.observations);
  scrapedCounter(registry, 'fluxhound_skipped_total', 'Live records skipped as malformed (logged with their position).', () => live.stats.skipped);
  scrapedCounter(registry, 'fluxhound_flag_events_total', 'Flag events: a domain crossed a threshold or its flagged verdict changed.', () => live.stats.flagEvents);
  scrapedCounter(registry, 'fluxhound_detector_passed_by_total', 'Live observations passed by unexamined because the detector worker threads were too far behind (fail-open; --workers only).', () => live.stats.detectorPassedBy);
  scrapedCounter(registry, 'fluxhound_detector_flows_passed_by_total', "Flows not handed to the detector worker threads' flow evidence because they were too far behind (fail-open; --workers with flows only).", live.workerFlowsPassedBy);
  scrapedCounter(
    registry,
    'fluxhound_detector_worker_changes_total',
    'Changes sent to every detector worker thread (config reload, intel index, feed renewal, allowlist), by change and result: applied by all, or refused and applied by none (--workers only).',
    live.workerChanges,
    ['change', 'result'],
  );
  scrapedGauge(registry, 'fluxhound_detector_worker_backlog', 'Observations handed to the detector worker threads and not yet examined by all of them (0 without --workers).', live.workerBacklog);
  return {
    reloads: new Counter({
      name: 'fluxhound_config_reloads_total',
      help: 'SIGHUP reloads, by result: applied everywhere, or refused (nothing changed).',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}

/** What the flow families read at scrape time: the daemon's flow path and its analysis (issue 16). */
export interface FlowReadings {
  path: () => FlowPathStats;
  queued: () => number;
  /** The analysis's own counts (the fuller ones when it is detect/flows' analysis); null without an analysis. */
  analysis: () => (FlowAnalysisStats & Partial<FlowAnalysisCounts>) | null;
}

/** The daemon's flow path: flows in, dropped when the analysis lags, and what the analysis found (exposures, bypasses, fan-outs, evictions). */
export function flowMetrics(registry: Registry, live: FlowReadings): void {
  const stat = (key: keyof FlowAnalysisCounts) => (): number => live.analysis()?.[key] ?? 0;
  scrapedCounter(registry, 'fluxhound_flow_analysis_flows_total', 'Flows handed to the daemon by every flow input (collector, followed conn.log or eve.json).', () => live.path().received);
  scrapedCounter(registry, 'fluxhound_flow_analysis_dropped_total', 'Flows dropped because the flow analysis lagged and its queue was full (fail-open: DNS never waits for flows).', () => live.path().dropped);
  scrapedGauge(registry, 'fluxhound_flow_analysis_queued', 'Flows waiting for the flow analysis.', live.queued);
  scrapedCounter(registry, 'fluxhound_flow_analysis_unmatched_total', 'Flows analysed that were not from or to a tracked flux address.', stat('unmatched'));
  scrapedCounter(registry, 'fluxhound_flow_analysis_exposures_total', 'Exposures reported: a client exchanged traffic with an address of a flagged name or a flux network.', stat('exposures'));
  scrapedCounter(registry, 'fluxhound_flow_analysis_bypasses_total', 'Exposures with DNS bypass: no lookup of the name through the monitored resolvers.', stat('bypasses'));
  scrapedCounter(registry, 'fluxhound_flow_analysis_bypass_unknown_total', 'Outbound exposures whose "no lookup" could not be proven (the lookup memory was full): reported as no DNS bypass, never a false one.', stat('bypassUnknown'));
  scrapedCounter(registry, 'fluxhound_flow_analysis_late_total', 'Flows dropped as older than the tables\' horizon (max(window, flows.fanOut.window) + flows.lateness behind the newest flow).', stat('late'));
  scrapedCounter(registry, 'fluxhound_flow_analysis_invalid_total', 'Flows dropped for an impossible time or count.', stat('invalid'));
  scrapedCounter(registry, 'fluxhound_flow_analysis_fan_outs_total', 'Fan-out findings: a host contacted numerous distinct external addresses within flows.fanOut.window.', stat('fanOuts'));
  scrapedCounter(
    registry,
    'fluxhound_flow_analysis_evicted_total',
    'Entries the flow analysis evicted to stay within flows.limits, by table (hosts, addresses, client entries, answer entries, exposures reported early, flux hosts, pending flows lost).',
    () => {
      const s = live.analysis();
      return [
        [{ table: 'hosts' }, s?.evictedHosts ?? 0],
        [{ table: 'addresses' }, s?.evictedAddresses ?? 0],
        [{ table: 'client_entries' }, s?.evictedClientEntries ?? 0],
        [{ table: 'answer_entries' }, s?.evictedAnswerEntries ?? 0],
        [{ table: 'exposures' }, s?.evictedExposures ?? 0],
        [{ table: 'flux_hosts' }, s?.evictedFluxHosts ?? 0],
        [{ table: 'pending_flows' }, s?.evictedPendingFlows ?? 0],
      ];
    },
    ['table'],
  );
}
