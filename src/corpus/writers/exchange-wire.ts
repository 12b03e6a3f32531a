/**
 * One generated exchange as the messages a client and its resolver sent:
 * the query and the response in DNS wire format (the one codec, src/dns),
 * with what the observation does not carry (DNS id, client port, round-trip
 * time) from the writer's own seeded stream. Shared by the two binary
 * writers (pcap, dnstap), so both put the same bytes on the same clock.
 *
 * Times: the response is at the observation's time (every source stamps an
 * exchange with its response); the query a round trip (0.5–40 ms) before,
 * but never before the previous exchange's last message, so a capture's
 * records stay in time order as a real capture's are.
 */
import { FLAG_QR, FLAG_RA, FLAG_RD, WireError } from '../../dns/constants.js';
import { writeMessage } from '../../dns/message-writer.js';
import { rcodeCode, typeCode } from '../../dns/mnemonics.js';
import type { DnsObservation, ResourceRecord } from '../../model/observation.js';
import { Prng } from '../prng.js';
import { addressBytes } from './packets.js';

/**
 * The late second response's answers of a corpus exchange: read by shape, as
 * the generator's `Exchange` (an observation with `late` records) hands it;
 * empty for a plain observation.
 */
function lateAnswers(o: DnsObservation): readonly ResourceRecord[] {
  const late = (o as { late?: unknown }).late;
  return Array.isArray(late) ? (late as ResourceRecord[]) : NO_RECORDS;
}

const NO_RECORDS: readonly ResourceRecord[] = [];

/** The UDP payload size clients offer in EDNS (the DNS flag day 2020 value); longer responses go over TCP. */
export const DEFAULT_UDP_SIZE = 1232;
/** A client address for an observation that has none. */
const UNKNOWN_CLIENT = '10.255.255.254';
const ADDRESS_CACHE = 65_536;

export interface ExchangeWireOptions {
  seed: number;
  /** Which writer: its stream of ids and ports is its own. */
  purpose: string;
  /** The resolver the clients ask, for IPv4 and IPv6 clients. */
  resolver?: string;
  resolver6?: string;
  /** EDNS payload size clients offer; a response longer than this is sent over TCP. */
  udpSize?: number;
}

export class ExchangeWire {
  id = 0;
  clientPort = 0;
  queryTs = 0;
  responseTs = 0;
  client: Uint8Array = new Uint8Array(4);
  server: Uint8Array = new Uint8Array(4);
  query: Uint8Array = new Uint8Array(0);
  /** null for an exchange without a response (the observation has no rcode). */
  response: Uint8Array | null = null;
  /**
   * A second, different response to the same query (same id and ports),
   * arriving after the first: an on-path middlebox injected the first and
   * the real answer follows. Written from the exchange's `late` answers (the
   * corpus's `Exchange`, src/corpus/response.ts on the injection branch);
   * null when there are none.
   */
  late: Uint8Array | null = null;
  lateTs = 0;
  /** The response does not fit `udpSize`: the exchange is over TCP. */
  tcp = false;

  readonly udpSize: number;
  private readonly rng: Prng;
  private readonly server4: Uint8Array;
  private readonly server6: Uint8Array;
  private readonly addresses = new Map<string, Uint8Array>();
  /** Time of the last message of the previous exchange. */
  private last = -Infinity;

  constructor(options: ExchangeWireOptions) {
    this.rng = new Prng(options.seed).fork(options.purpose);
    this.server4 = addressBytes(options.resolver ?? '10.0.0.53');
    this.server6 = addressBytes(options.resolver6 ?? 'fd00::53');
    this.udpSize = options.udpSize ?? DEFAULT_UDP_SIZE;
  }

  /** Fills this object for `o`; throws WireError for a name or record with no wire form. */
  next(o: DnsObservation): this {
    const rng = this.rng;
    this.client = this.addressOf(o.client ?? UNKNOWN_CLIENT);
    this.server = this.client.length === 16 ? this.server6 : this.server4;
    this.id = rng.int(65536);
    this.clientPort = 1024 + rng.int(64512);
    const rtt = 0.0005 + rng.next() * 0.0395;
    this.queryTs = Math.max(o.ts - rtt, this.last);
    this.responseTs = Math.max(o.ts, this.queryTs);
    const qtype = typeCode(o.qtype);
    if (qtype === null) throw new WireError(`corpus: query type '${o.qtype}' has no code`);
    this.query = writeMessage({ id: this.id, flags: FLAG_RD, rcode: 0, qname: o.qname, qtype, ednsSize: this.udpSize });
    this.late = null;
    if (o.rcode === null) {
      this.response = null;
      this.tcp = false;
      this.last = this.queryTs;
      return this;
    }
    this.response = this.writeResponse(o, qtype, o.rcode);
    this.tcp = this.response.length > this.udpSize;
    this.last = this.responseTs;
    const late = lateAnswers(o);
    if (late.length > 0 && !this.tcp) {
      this.late = writeMessage({ id: this.id, flags: FLAG_QR | FLAG_RD | FLAG_RA, rcode: 0, qname: o.qname, qtype, answers: late, ednsSize: this.udpSize });
      this.lateTs = this.responseTs + 0.001 + rng.next() * 0.019;
      this.last = this.lateTs;
    }
    return this;
  }

  /** A response to the current query with the sections of `o`. */
  writeResponse(o: DnsObservation, qtype: number, rcodeText: string): Uint8Array {
    const rcode = rcodeCode(rcodeText);
    if (rcode === null || rcode > 15) throw new WireError(`corpus: rcode '${rcodeText}' has no 4-bit code`);
    return writeMessage({
      id: this.id,
      flags: FLAG_QR | FLAG_RD | FLAG_RA,
      rcode,
      qname: o.qname,
      qtype,
      answers: o.answers,
      authority: o.authority,
      additional: o.additional,
      ednsSize: this.udpSize,
    });
  }

  /** A random 32-bit number from the same stream (TCP initial sequence numbers). */
  u32(): number {
    return this.rng.u32();
  }

  private addressOf(text: string): Uint8Array {
    let bytes = this.addresses.get(text);
    if (bytes === undefined) {
      // Clients are a few thousand; the cap only keeps a hostile caller bounded.
      if (this.addresses.size >= ADDRESS_CACHE) this.addresses.clear();
      bytes = addressBytes(text);
      this.addresses.set(text, bytes);
    }
    return bytes;
  }
}
