/**
 * dnstap in Frame Streams, as a resolver logging its clients writes it
 * (Unbound's `log-client-query-messages` and `log-client-response-messages`,
 * BIND's `dnstap { client; }`): START with the dnstap content type, then per
 * exchange a CLIENT_QUERY (query time, query message) and a CLIENT_RESPONSE
 * (query and response time, response message), both with the client's
 * address and port and the resolver's, then STOP. The DNS messages are the
 * pcap writer's (exchange-wire.ts); an exchange whose response would not fit
 * UDP is marked TCP, as the resolver would log it. An exchange without a
 * response is a CLIENT_QUERY alone, which the dnstap source passes over
 * (so unanswered lookups, which pcap and Zeek report, are missing here, as
 * they are in a real resolver's log). An exchange with a late second
 * response (`late`: injected answer first, the real one after) gets a second
 * CLIENT_RESPONSE with it, as the pcap gets a second packet.
 */
import type { DnsObservation } from '../../model/observation.js';
import { DnstapEncoder, type DnstapFields } from '../../sources/dnstap/encode.js';
import { CONTROL_START, CONTROL_STOP, DNSTAP_CONTENT_TYPE, encodeControl } from '../../sources/dnstap/frames.js';
import { MessageType } from '../../sources/dnstap/protobuf.js';
import { ExchangeWire, type ExchangeWireOptions } from './exchange-wire.js';
import type { CorpusWriter, TextOutput } from './writer.js';

const SOCKET_INET = 1;
const SOCKET_INET6 = 2;
const SOCKET_UDP = 1;
const SOCKET_TCP = 2;

export interface DnstapWriterOptions extends Omit<ExchangeWireOptions, 'purpose'> {
  /** The Dnstap `identity` (the resolver's name). */
  identity?: string;
}

export class DnstapWriter implements CorpusWriter {
  readonly format = 'dnstap';
  private readonly wire: ExchangeWire;
  private readonly encoder = new DnstapEncoder();
  /** One fields object refilled per frame. */
  private readonly fields: DnstapFields;

  constructor(
    private readonly output: TextOutput,
    options: DnstapWriterOptions,
  ) {
    this.wire = new ExchangeWire({ ...options, purpose: 'dnstap' });
    this.fields = { identity: options.identity ?? 'resolver.corpus', version: 'fluxhound corpus', type: MessageType.CLIENT_QUERY };
  }

  get pendingBytes(): number {
    return this.output.pendingBytes;
  }

  open(): void {
    this.output.appendBytes(encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE]));
  }

  write(o: DnsObservation): void {
    const x = this.wire.next(o);
    const f = this.fields;
    f.socketFamily = x.client.length === 16 ? SOCKET_INET6 : SOCKET_INET;
    f.socketProtocol = x.tcp ? SOCKET_TCP : SOCKET_UDP;
    f.queryAddress = x.client;
    f.queryPort = x.clientPort;
    f.responseAddress = x.server;
    f.responsePort = 53;
    setTime(f, 'query', x.queryTs);
    f.type = MessageType.CLIENT_QUERY;
    f.queryMessage = x.query;
    f.responseTimeSec = f.responseTimeNsec = f.responseMessage = undefined;
    this.output.appendBytes(this.encoder.frame(f));
    // The query is not repeated in the response frames: the source reads response_message alone.
    f.queryMessage = undefined;
    f.type = MessageType.CLIENT_RESPONSE;
    if (x.response !== null) this.response(x.responseTs, x.response);
    // The late second response of an injected exchange: a second CLIENT_RESPONSE, as the pcap holds a second packet.
    if (x.late !== null) this.response(x.lateTs, x.late);
  }

  flush(): Promise<void> {
    return this.output.flush();
  }

  async close(): Promise<void> {
    this.output.appendBytes(encodeControl(CONTROL_STOP));
    await this.output.close();
  }

  private response(ts: number, message: Uint8Array): void {
    setTime(this.fields, 'response', ts);
    this.fields.responseMessage = message;
    this.output.appendBytes(this.encoder.frame(this.fields));
  }
}

/** Seconds and nanoseconds, from microseconds as the pcap writer keeps them (so both formats carry one time). */
function setTime(f: DnstapFields, which: 'query' | 'response', ts: number): void {
  const micros = Math.round(ts * 1e6);
  const seconds = Math.floor(micros / 1e6);
  const nanos = (micros - seconds * 1e6) * 1000;
  if (which === 'query') {
    f.queryTimeSec = seconds;
    f.queryTimeNsec = nanos;
  } else {
    f.responseTimeSec = seconds;
    f.responseTimeNsec = nanos;
  }
}
