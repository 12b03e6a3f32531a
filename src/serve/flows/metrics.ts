/**
 * The collector's metrics in the daemon's registry, read from its exporter
 * table and counters at scrape time (the receive path adds to plain numbers
 * only). The `exporter` label is the source 'ip:port', bounded by
 * serve.flows.maxExporters. A second collector in the same registry (a
 * test) replaces the first's families.
 */
import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../scraped.js';
import type { ExporterStats } from './exporters.js';

type PerExporter = Exclude<keyof ExporterStats, 'lastSeen' | 'sequence'>;

const PER_EXPORTER: [PerExporter, string, string][] = [
  ['datagrams', 'fluxhound_flows_datagrams_total', 'Export datagrams read, by exporter (source ip:port).'],
  ['bytes', 'fluxhound_flows_bytes_total', 'Bytes of export datagrams read, by exporter.'],
  ['flows', 'fluxhound_flows_records_total', 'Flow records decoded and handed to the analysis, by exporter.'],
  ['templates', 'fluxhound_flows_templates_received_total', 'Template and options-template records received (NetFlow v9, IPFIX), by exporter.'],
  ['noTemplateSets', 'fluxhound_flows_no_template_sets_total', 'Data sets dropped because their template was not (or no longer) known, by exporter.'],
  ['noTemplateRecords', 'fluxhound_flows_no_template_records_total', 'Records in those data sets, where the header says (NetFlow v9 record count), by exporter.'],
  ['enterpriseElements', 'fluxhound_flows_enterprise_elements_skipped_total', 'Enterprise-specific information elements skipped (IPFIX), by exporter.'],
  ['unusedElements', 'fluxhound_flows_unknown_elements_skipped_total', 'IANA information elements fluxhound does not use (or of a length it cannot read), skipped, by exporter.'],
  ['skippedRecords', 'fluxhound_flows_skipped_records_total', 'Damaged records, sets or headers skipped (logged with their position at a limited rate), by exporter.'],
  ['malformed', 'fluxhound_flows_malformed_datagrams_total', 'Datagrams that were not NetFlow v5, v9 or IPFIX, or were damaged, by exporter.'],
  ['lostDatagrams', 'fluxhound_flows_sequence_lost_datagrams_total', 'NetFlow v9 export packets lost between exporter and collector, from the package sequence, by exporter.'],
  ['lostRecords', 'fluxhound_flows_sequence_lost_records_total', 'NetFlow v5 and IPFIX records lost between exporter and collector, from the flow sequence or sequence number, by exporter.'],
  ['sequenceResets', 'fluxhound_flows_sequence_resets_total', 'Sequence numbers that went back or jumped too far (exporter restart, reordering): counting restarted there, by exporter.'],
];

export interface FlowMetricSource {
  exporters(): Iterable<[string, ExporterStats]>;
  /** Templates live now, per exporter. */
  templatesLive(): Map<string, number>;
  /** Datagrams refused before decoding, by reason. */
  refused(): ReadonlyMap<string, number>;
  /** Datagrams read from the socket, before any check. */
  received(): number;
  queuedBytes(): number;
  /** Kernel drops of the listening socket's receive buffer; null when unknown. */
  kernelDrops(): number | null;
  receiveBuffer(): number;
}

export function declareFlowMetrics(registry: Registry, source: FlowMetricSource): void {
  for (const [key, name, help] of PER_EXPORTER) {
    scrapedCounter(registry, name, help, () => Array.from(source.exporters(), ([exporter, stats]) => [{ exporter }, stats[key]] as const), ['exporter']);
  }
  scrapedGauge(registry, 'fluxhound_flows_templates_live', 'Templates usable now (announced within flows.templates.lifetime), by exporter.', () => Array.from(source.templatesLive(), ([exporter, n]) => [{ exporter }, n] as const), ['exporter']);
  scrapedGauge(registry, 'fluxhound_flows_exporters', 'Exporters tracked (at most serve.flows.maxExporters).', () => {
    let n = 0;
    for (const _ of source.exporters()) n++;
    return n;
  });
  scrapedCounter(
    registry,
    'fluxhound_flows_refused_datagrams_total',
    'Datagrams dropped before decoding, by reason: acl (exporter outside serve.flows.exporters), exporter_cap (maxExporters exporters heard recently), oversize, queue_full (decoding fell behind), stopping.',
    () => Array.from(source.refused(), ([reason, n]) => [{ reason }, n] as const),
    ['reason'],
  );
  scrapedCounter(registry, 'fluxhound_flows_received_datagrams_total', 'Datagrams read from the collector socket, before any check (decoded + refused + queued).', () => source.received());
  scrapedGauge(registry, 'fluxhound_flows_queued_bytes', 'Bytes of datagrams received and waiting to be decoded.', () => source.queuedBytes());
  scrapedCounter(registry, 'fluxhound_flows_kernel_drops_total', "Datagrams the kernel dropped because the collector socket's receive buffer was full (/proc/net/udp drops; absent where unknown).", () => {
    const drops = source.kernelDrops();
    return drops === null ? [] : drops;
  });
  scrapedGauge(registry, 'fluxhound_flows_receive_buffer_bytes', "The collector socket's receive buffer as the kernel granted it (SO_RCVBUF).", () => source.receiveBuffer());
}
