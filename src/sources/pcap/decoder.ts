/**
 * The pcap decoder: capture container → frames → DNS messages (UDP, or TCP
 * reassembled) → observations, one per response; queries are matched to
 * their responses, and one that got none becomes an observation without
 * rcode, as Zeek logs it. Positions are packet numbers (1-based, as
 * Wireshark's frame.number).
 */
import { emptyObservation } from '../../model/observation.js';
import type { Decoder, ObservationSink } from '../source.js';
import { typeName, WireMessage } from '../dns-wire/index.js';
import { ResponseConflicts } from '../dns-wire/conflicts.js';
import { CaptureReader } from './capture.js';
import type { TemplateCacheOptions } from '../netflow/index.js';
import { ExportDatagrams } from './exports.js';
import { DNS, DNS_PORTS, NOT_DNS, OTHER_UDP, PacketInfo, PROTO_UDP, parsePacket, type PortTable } from './packet.js';
import { PendingQueries, pendingQuery, type PendingQuery } from './queries.js';
import { TcpStreams } from './tcp.js';

export const FORMAT = 'pcap';
/** SYN, FIN, RST. */
const TCP_CONTROL = 7;

export class PcapDecoder implements Decoder {
  private readonly capture: CaptureReader;
  private readonly tcp: TcpStreams;
  private readonly queries: PendingQueries;
  /** NetFlow/IPFIX export datagrams in the same capture (exports.ts): flows to sink.flow. */
  readonly exports: ExportDatagrams;
  /** Second, different responses to one query (on-path injection): marked on the observation, counted here. */
  readonly responses = new ResponseConflicts();
  private readonly info = new PacketInfo();
  /** The DNS message being read, reused packet after packet. */
  private readonly wire = new WireMessage();
  /** Packets read so far (the current one's number while it is decoded). */
  private packets = 0;
  /** The position reported: the current packet, or the query packet of an unanswered query. */
  private reportAt = 1;
  private ts = 0;

  constructor(
    private readonly file: string,
    private readonly sink: ObservationSink,
    private readonly ports: PortTable = DNS_PORTS,
    templates: TemplateCacheOptions = {},
    /**
     * false: a flow scanner (SourceFormat.createFlowScanner): DNS packets are passed over unread, and
     * export datagrams decoded as ever, so the same flows come out, at a small part of the cost.
     */
    private readonly dns = true,
  ) {
    this.exports = new ExportDatagrams(file, FORMAT, sink, templates);
    this.capture = new CaptureReader({
      packet: (linkType, ts, bytes, start, end) => this.packet(linkType, ts, bytes, start, end),
      badPacket: (reason) => {
        this.reportAt = ++this.packets;
        this.skip(reason);
      },
      damage: (reason) => {
        this.reportAt = this.packets + 1;
        this.skip(reason);
      },
    });
    this.tcp = new TcpStreams({
      message: (bytes, start, end) => this.message(bytes, start, end),
      damage: (reason) => this.skip(reason),
    });
    this.queries = new PendingQueries((query) => this.unanswered(query));
  }

  push(chunk: Buffer): void {
    this.capture.push(chunk);
  }

  end(): void {
    this.capture.end();
    this.reportAt = Math.max(1, this.packets);
    this.tcp.finish();
    this.queries.finish();
  }

  position(): number {
    return this.reportAt;
  }

  private skip(reason: string): void {
    this.sink.skip({ position: { file: this.file, line: this.reportAt }, format: FORMAT, reason });
  }

  private packet(linkType: number, ts: number, bytes: Buffer, start: number, end: number): void {
    this.reportAt = ++this.packets;
    this.ts = ts;
    const info = this.info;
    const result = parsePacket(linkType, bytes, start, end, info, this.ports);
    if (result === NOT_DNS) return;
    if (result === OTHER_UDP) return this.exports.udp(bytes, info.payloadStart, info.payloadEnd, info, ts, this.packets);
    if (!this.dns) return;
    if (result !== DNS) return this.skip(result);
    if (info.proto === PROTO_UDP) return this.message(bytes, info.payloadStart, info.payloadEnd);
    // A bare acknowledgement changes no stream.
    if (info.payloadEnd === info.payloadStart && (info.tcpFlags & TCP_CONTROL) === 0) return;
    this.tcp.segment(info.flowKey(), info.tcpFlags, info.seq, bytes, info.payloadStart, info.payloadEnd);
  }

  /** One DNS message of the current packet, from bytes[start, end). */
  private message(bytes: Uint8Array, start: number, end: number): void {
    const wire = this.wire;
    const reason = wire.read(bytes, start, end);
    if (reason !== null) return this.skip(`DNS message: ${reason}`);
    const info = this.info;
    if (!wire.qr) {
      if (wire.questionCount === 0) return;
      this.queries.add(pendingQuery(this.ts, this.packets, info.source(), info.srcPort, info.destination(), info.dstPort, wire.id, wire.qname, wire.qtype));
      return;
    }
    if (wire.questionCount === 0) return this.skip('DNS response without a question');
    // The client is where the response goes; a captured query says the same, and is no longer waiting.
    const client = info.destination();
    // Made before answer(), which may report expired queries to the sink (and so run its code) first.
    const observation = wire.observation(this.ts, client);
    const queries = this.queries;
    queries.expire(this.ts);
    // The server's text is made only when some query is waiting to be compared with.
    if (!queries.empty()) queries.answer(client, info.dstPort, info.source(), info.srcPort, wire.id, wire.qname, this.ts);
    if (observation === null) return;
    this.responses.check(observation, info.dstPort, wire.id, client, wire.answerHash());
    this.sink.observe(observation);
  }

  private unanswered(query: PendingQuery): void {
    const current = this.reportAt;
    this.reportAt = query.packet;
    const observation = emptyObservation(query.ts, query.qname, typeName(query.qtype));
    observation.client = query.client;
    this.sink.observe(observation);
    this.reportAt = current;
  }
}
