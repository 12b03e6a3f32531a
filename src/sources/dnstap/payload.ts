/**
 * From one dnstap data frame to a DnsObservation: the protobuf is read into a
 * reused record, the response_message of a *_RESPONSE message is decoded by
 * the shared DNS wire decoder, and the observation is stamped with the
 * response time. Queries (and UPDATE_RESPONSE, which answers no lookup) give
 * nothing: they are counted as ignored, not skipped.
 */
import type { DnsObservation } from '../../model/observation.js';
import { formatIPv4, formatIPv6 } from '../../model/names.js';
import { decodeMessage, observationOf } from '../dns-wire/index.js';
import type { ResponseConflicts } from '../dns-wire/conflicts.js';
import { DNSTAP_MESSAGE, DnstapRecord, MessageType, messageTypeName, readDnstap } from './protobuf.js';

/** What a data frame gave: an observation, a reason it was bad, or IGNORED. */
export type FrameOutcome = DnsObservation | string | typeof IGNORED;
export const IGNORED = 0;

/** Latest second we accept (9999-12-31T23:59:59Z), as the text sources do. */
const MAX_SECONDS = 253402300799;

/** Whose address `client` carries, per message type: the peer that asked this server. */
function asksThisServer(type: number): boolean {
  return type === MessageType.CLIENT_RESPONSE || type === MessageType.AUTH_RESPONSE;
}

/**
 * Responses to this server's own upstream query (a resolver's, a
 * forwarder's): the query address and port are this server's own. An
 * on-path injector racing the upstream shows here as two responses to one
 * such query.
 */
function asksUpstream(type: number): boolean {
  return type === MessageType.RESOLVER_RESPONSE || type === MessageType.FORWARDER_RESPONSE;
}

function isLookupResponse(type: number): boolean {
  return type % 2 === 0 && type >= MessageType.AUTH_RESPONSE && type <= MessageType.TOOL_RESPONSE;
}

const groups = new Uint16Array(8);

/** The text of a 4- or 16-byte address; null for any other length. */
export function addressText(bytes: Uint8Array, start: number, end: number): string | null {
  if (end - start === 4) {
    return formatIPv4(((bytes[start]! << 24) | (bytes[start + 1]! << 16) | (bytes[start + 2]! << 8) | bytes[start + 3]!) >>> 0);
  }
  if (end - start === 16) {
    for (let i = 0; i < 8; i++) groups[i] = (bytes[start + 2 * i]! << 8) | bytes[start + 2 * i + 1]!;
    return formatIPv6(groups);
  }
  return null;
}

export class DnstapPayloads {
  private readonly record = new DnstapRecord();
  /** Frames read per Message.type (index 1..14; 15 holds any other type), for metrics. */
  private readonly typeCounts = new Float64Array(16);

  /** Frames read per Message.type name (CLIENT_RESPONSE, ...), types never seen left out. */
  get byType(): Map<string, number> {
    const counts = new Map<string, number>();
    this.typeCounts.forEach((count, type) => {
      if (count > 0 && type > 0) counts.set(type === 15 ? 'other' : messageTypeName(type), count);
    });
    return counts;
  }

  /** DNS id and client (query) port of the last response decoded; -1 when unknown. */
  lastId = -1;
  lastQueryPort = -1;
  /**
   * Who sent the query the last response answers, for telling two responses
   * to one query apart: the client (CLIENT_RESPONSE, AUTH_RESPONSE), or this
   * server itself (RESOLVER_RESPONSE, FORWARDER_RESPONSE); null otherwise.
   */
  lastAsker: string | null = null;

  /** The message type of the last frame read (0 when none). */
  get lastType(): number {
    return this.record.type;
  }

  /**
   * Notes `observation` (just decoded) with `responses`: marked and true
   * when it is a second, different response to the same query.
   */
  checkConflict(observation: DnsObservation, responses: ResponseConflicts): boolean {
    if (this.lastAsker === null || this.lastQueryPort < 0) return false;
    return responses.check(observation, this.lastQueryPort, this.lastId, this.lastAsker);
  }

  decode(payload: Uint8Array): FrameOutcome {
    const record = this.record;
    const reason = readDnstap(payload, record);
    if (reason !== null) return reason;
    if (record.kind !== DNSTAP_MESSAGE && record.kind !== 0) return `Dnstap type ${record.kind} is not MESSAGE`;
    if (!record.hasMessage) return 'Dnstap frame without a message';
    const type = record.type;
    if (type === 0) return 'Message without a type';
    this.typeCounts[type < 15 ? type : 15]!++;
    if (!isLookupResponse(type)) return IGNORED;
    const response = record.responseMessage;
    if (response.start < 0) return `${messageTypeName(type)} without response_message`;
    let seconds = record.responseTimeSec;
    let nanoseconds = record.responseTimeNsec;
    if (seconds < 0) {
      seconds = record.queryTimeSec;
      nanoseconds = record.queryTimeNsec;
    }
    if (seconds < 0) return `${messageTypeName(type)} without response_time or query_time`;
    if (seconds > MAX_SECONDS) return `bad time ${seconds}`;
    const ts = nanoseconds < 1e9 ? seconds + nanoseconds / 1e9 : seconds;
    const message = decodeMessage(payload, response.start, response.end);
    if (typeof message === 'string') return `response_message: ${message}`;
    const address = record.queryAddress;
    const client = asksThisServer(type) && address.start >= 0 ? addressText(payload, address.start, address.end) : null;
    const observation = observationOf(message, ts, client);
    this.lastId = message.id;
    this.lastQueryPort = record.queryPort;
    this.lastAsker = client ?? (asksUpstream(type) && address.start >= 0 ? addressText(payload, address.start, address.end) : null);
    if (observation === null) return message.qr ? 'response_message without a question' : 'response_message is a query';
    return observation;
  }
}
