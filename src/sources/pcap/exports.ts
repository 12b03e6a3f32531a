/**
 * Flow export traffic in a capture: UDP payloads that are NetFlow v5/v9 or
 * IPFIX datagrams, decoded with exporter 'srcip:srcport' (observation domain
 * appended by the decoder) and one TemplateCache for the capture, keyed per
 * exporter and domain; template lifetimes run on capture time. DNS packets
 * of the same capture are the decoder's other business.
 *
 * Which UDP payloads are exports (no DNS port on either side):
 *   - to a usual collector port (2055, 9995, 9996, 4739): any datagram whose
 *     version is 5, 9 or 10; the decoder reports its damage. Anything else
 *     there is skipped as not NetFlow/IPFIX.
 *   - to any other port but 6343 (sFlow, a different protocol): only when
 *     the whole payload is one datagram by its own structure (v5 count and
 *     clock, IPFIX length and sets tiling it, v9 flowsets tiling it:
 *     ../netflow/framing.ts) and its export time is a plausible time. Not
 *     "close to the capture time": softflowd -r -a and replays export the
 *     capture's own old times. Other UDP (QUIC, NTP, syslog...) is passed over
 *     without a word.
 */
import { isPlausibleTime } from '../../model/observation.js';
import type { ObservationSink } from '../source.js';
import { decodeDatagram, TemplateCache, type TemplateCacheOptions } from '../netflow/index.js';
import { datagramLength } from '../netflow/framing.js';
import { deliver, exportTime } from '../netflow/file.js';

export const COLLECTOR_PORTS: ReadonlySet<number> = new Set([2055, 9995, 9996, 4739]);
/** sFlow's port: sFlow is not NetFlow, whatever its first bytes. */
const SFLOW_PORT = 6343;

export interface ExportPacket {
  /** The exporter's address text and port (the packet's source). */
  source(): string;
  srcPort: number;
  dstPort: number;
  cut: boolean;
  fragment: boolean;
}

export class ExportDatagrams {
  private readonly cache: TemplateCache;
  /** Export datagrams decoded (not counting the ones skipped whole). */
  datagrams = 0;

  constructor(
    private readonly file: string,
    private readonly format: string,
    private readonly sink: ObservationSink,
    templates: TemplateCacheOptions = {},
  ) {
    this.cache = new TemplateCache(templates);
  }

  /** One UDP payload bytes[start, end) on no DNS port, captured at `ts` in packet `packet`. */
  udp(bytes: Uint8Array, start: number, end: number, info: ExportPacket, ts: number, packet: number): void {
    if (info.dstPort === SFLOW_PORT || info.srcPort === SFLOW_PORT) return;
    const toCollector = COLLECTOR_PORTS.has(info.dstPort);
    const version = end - start >= 2 ? (bytes[start]! << 8) | bytes[start + 1]! : -1;
    const versionOk = version === 5 || version === 9 || version === 10;
    if (!toCollector) {
      if (!versionOk || info.cut || info.fragment) return;
      if (datagramLength(bytes, start, end, true) !== end - start) return;
      if (!isPlausibleTime(exportTime(bytes.subarray(start, end)))) return;
    } else if (!versionOk) {
      return this.skip(packet, `UDP to collector port ${info.dstPort} is not NetFlow v5/v9 or IPFIX`);
    } else if (info.fragment) {
      return this.skip(packet, 'NetFlow/IPFIX export datagram fragmented (fragments are not reassembled)');
    } else if (info.cut) {
      return this.skip(packet, 'NetFlow/IPFIX export datagram cut short by the capture');
    }
    this.datagrams++;
    const address = info.source();
    const exporter = address.includes(':') ? `[${address}]:${info.srcPort}` : `${address}:${info.srcPort}`;
    const prefix = `${this.file}: packet ${packet}`;
    const result = decodeDatagram(bytes.subarray(start, end), { exporter, cache: this.cache, position: prefix, now: ts });
    deliver(result, prefix, this.file, packet, this.format, this.sink, `NetFlow v${result.counts.version} from ${exporter}`);
  }

  private skip(packet: number, reason: string): void {
    // Traffic to a collector port: flow data, whatever its damage.
    this.sink.skip({ position: { file: this.file, line: packet }, format: this.format, reason, flow: true });
  }
}
