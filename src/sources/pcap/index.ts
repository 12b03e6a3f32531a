/** Packet captures: pcap and pcapng, DNS over UDP and TCP, NetFlow/IPFIX export over UDP. See README.md. */
import type { SourceFormat } from '../source.js';
import type { TemplateCacheOptions } from '../netflow/index.js';
import { sniffCapture } from './capture.js';
import { PcapDecoder } from './decoder.js';
import { DNS_PORTS, portTable } from './packet.js';

export interface PcapOptions {
  /** Ports DNS is read on, either side; default [53]. */
  dnsPorts?: readonly number[];
  /** NetFlow/IPFIX export traffic in the capture: template lifetime and cap (config flows.templates). */
  flowTemplates?: TemplateCacheOptions;
}

/** The pcap format with its options parsed once (the ports table is shared by its decoders). */
export function createPcapFormat(options: PcapOptions = {}): SourceFormat {
  const ports = options.dnsPorts === undefined ? DNS_PORTS : portTable(options.dnsPorts);
  const templates = { ...options.flowTemplates };
  return {
    name: 'pcap',
    description: 'packet capture, pcap or pcapng (DNS over UDP and TCP on port 53; NetFlow/IPFIX export over UDP)',
    sniff: sniffCapture,
    magic: 'a pcap or pcapng capture (no capture magic number at its start)',
    createDecoder: (file, sink) => new PcapDecoder(file, sink, ports, templates),
    createFlowScanner: (file, sink) => new PcapDecoder(file, sink, ports, templates, false),
  };
}

export const pcapFormat: SourceFormat = createPcapFormat();
