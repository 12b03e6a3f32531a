/**
 * A packet capture of the generated exchanges: libpcap format, Ethernet,
 * IPv4 or IPv6 by the client's address, between each client and its resolver
 * (10.0.0.53, or fd00::53 for IPv6 clients) on port 53. Each exchange is a
 * UDP query and its response; a response longer than the EDNS payload size
 * the query offered (1232 bytes) is sent over TCP instead: handshake, the
 * length-prefixed query, the response in segments of at most 1,440 bytes,
 * and the closing FINs. (A real client would first get a truncated UDP
 * answer and retry; that answer is left out, so each exchange is one
 * observation here as in the text formats.) An exchange without a response
 * (no rcode) is a query alone, which the pcap source reports after its
 * 30-second timeout as Zeek would. An exchange with a late second response
 * (an injected answer first, the real one after: `late` in the corpus's
 * Exchange) gets a second UDP response packet with the same id and ports,
 * 1–20 ms after the first, which the pcap source reads as a second
 * observation of the same query.
 */
import type { DnsObservation } from '../../model/observation.js';
import { ExchangeWire, type ExchangeWireOptions } from './exchange-wire.js';
import { FrameBuilder, pcapFileHeader, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from './packets.js';
import type { CorpusWriter, TextOutput } from './writer.js';

/** TCP payload per segment: an Ethernet MTU of 1500 less the IPv6 and TCP headers, rounded down. */
const TCP_SEGMENT = 1440;
const DNS_PORT = 53;

export type PcapWriterOptions = Omit<ExchangeWireOptions, 'purpose'>;

export class PcapWriter implements CorpusWriter {
  readonly format = 'pcap';
  private readonly wire: ExchangeWire;
  private readonly frames = new FrameBuilder(Uint8Array.of(0x02, 0, 0, 0, 0, 0x01), Uint8Array.of(0x02, 0, 0, 0, 0, 0x53));

  constructor(
    private readonly output: TextOutput,
    options: PcapWriterOptions,
  ) {
    this.wire = new ExchangeWire({ ...options, purpose: 'pcap' });
  }

  get pendingBytes(): number {
    return this.output.pendingBytes;
  }

  open(): void {
    this.output.appendBytes(pcapFileHeader());
  }

  write(o: DnsObservation): void {
    const x = this.wire.next(o);
    if (x.tcp) {
      this.tcpExchange(x);
      return;
    }
    this.udp(x.queryTs, x.query, true);
    if (x.response !== null) this.udp(x.responseTs, x.response, false);
    if (x.late !== null) this.udp(x.lateTs, x.late, false);
  }

  flush(): Promise<void> {
    return this.output.flush();
  }

  close(): Promise<void> {
    return this.output.close();
  }

  private udp(ts: number, message: Uint8Array, toServer: boolean): void {
    const x = this.wire;
    const out = toServer
      ? this.frames.record(ts, x.client, x.server, x.clientPort, DNS_PORT, message, true)
      : this.frames.record(ts, x.server, x.client, DNS_PORT, x.clientPort, message, false);
    this.output.appendBytes(out);
  }

  private tcp(ts: number, toServer: boolean, seq: number, ack: number, flags: number, payload: Uint8Array): void {
    const x = this.wire;
    const segment = { seq, ack, flags };
    const out = toServer
      ? this.frames.record(ts, x.client, x.server, x.clientPort, DNS_PORT, payload, true, segment)
      : this.frames.record(ts, x.server, x.client, DNS_PORT, x.clientPort, payload, false, segment);
    this.output.appendBytes(out);
  }

  /** Handshake, query, response, close: the sequence numbers a real stack would use. */
  private tcpExchange(x: ExchangeWire): void {
    const response = x.response as Uint8Array;
    const query = lengthPrefixed(x.query);
    const answer = lengthPrefixed(response);
    const c = x.u32();
    const s = x.u32();
    const empty = new Uint8Array(0);
    const step = (x.responseTs - x.queryTs) / 3;
    const t0 = x.queryTs;
    this.tcp(t0, true, c, 0, TCP_SYN, empty);
    this.tcp(t0 + step, false, s, c + 1, TCP_SYN | TCP_ACK, empty);
    this.tcp(t0 + 2 * step, true, c + 1, s + 1, TCP_ACK, empty);
    this.tcp(t0 + 2 * step, true, c + 1, s + 1, TCP_PSH | TCP_ACK, query);
    const cEnd = c + 1 + query.length;
    for (let at = 0; at < answer.length; at += TCP_SEGMENT) {
      this.tcp(x.responseTs, false, s + 1 + at, cEnd, TCP_PSH | TCP_ACK, answer.subarray(at, at + TCP_SEGMENT));
    }
    const sEnd = s + 1 + answer.length;
    this.tcp(x.responseTs, true, cEnd, sEnd, TCP_ACK, empty);
    this.tcp(x.responseTs, false, sEnd, cEnd, TCP_FIN | TCP_ACK, empty);
    this.tcp(x.responseTs, true, cEnd, sEnd + 1, TCP_FIN | TCP_ACK, empty);
    this.tcp(x.responseTs, false, sEnd + 1, cEnd + 1, TCP_ACK, empty);
  }
}

/** A DNS message with the 2-byte length TCP puts before it (RFC 1035 §4.2.2). */
function lengthPrefixed(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length + 2);
  out[0] = message.length >>> 8;
  out[1] = message.length & 255;
  out.set(message, 2);
  return out;
}
