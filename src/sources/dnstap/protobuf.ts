/**
 * The few protobuf rules dnstap needs (varints, length-delimited bytes and
 * nested messages, fixed32/fixed64 skipped or read), and the dnstap schema
 * (dnstap.proto of github.com/dnstap/dnstap.pb) read into one reused record
 * of numbers and byte ranges: nothing is copied or allocated per frame.
 * Unknown fields are skipped, as protobuf requires; a field of a known
 * number with the wrong wire type, a varint over 10 bytes or a length past
 * the end gives a one-line reason.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** Message.type values (dnstap.proto). */
export const MessageType = {
  AUTH_QUERY: 1,
  AUTH_RESPONSE: 2,
  RESOLVER_QUERY: 3,
  RESOLVER_RESPONSE: 4,
  CLIENT_QUERY: 5,
  CLIENT_RESPONSE: 6,
  FORWARDER_QUERY: 7,
  FORWARDER_RESPONSE: 8,
  STUB_QUERY: 9,
  STUB_RESPONSE: 10,
  TOOL_QUERY: 11,
  TOOL_RESPONSE: 12,
  UPDATE_QUERY: 13,
  UPDATE_RESPONSE: 14,
} as const;

const TYPE_NAMES = Object.fromEntries(Object.entries(MessageType).map(([name, value]) => [value, name])) as Record<number, string>;

export function messageTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

/** Dnstap.type MESSAGE: the only kind of Dnstap frame there is. */
export const DNSTAP_MESSAGE = 1;

/** A byte range [start, end) of the frame; start -1 when the field is absent. */
export interface ByteRange {
  start: number;
  end: number;
}

/** One Dnstap frame, as numbers and byte ranges into the frame. Reset before each read. */
export class DnstapRecord {
  /** Dnstap.type; 0 when absent. */
  kind = 0;
  identity: ByteRange = { start: -1, end: -1 };
  version: ByteRange = { start: -1, end: -1 };
  hasMessage = false;
  /** Message.type; 0 when absent. */
  type = 0;
  socketFamily = 0;
  socketProtocol = 0;
  queryAddress: ByteRange = { start: -1, end: -1 };
  responseAddress: ByteRange = { start: -1, end: -1 };
  queryPort = -1;
  responsePort = -1;
  /** Seconds; -1 when absent. */
  queryTimeSec = -1;
  queryTimeNsec = 0;
  responseTimeSec = -1;
  responseTimeNsec = 0;
  queryMessage: ByteRange = { start: -1, end: -1 };
  responseMessage: ByteRange = { start: -1, end: -1 };

  reset(): void {
    this.kind = 0;
    clear(this.identity);
    clear(this.version);
    this.hasMessage = false;
    this.type = 0;
    this.socketFamily = 0;
    this.socketProtocol = 0;
    clear(this.queryAddress);
    clear(this.responseAddress);
    this.queryPort = -1;
    this.responsePort = -1;
    this.queryTimeSec = -1;
    this.queryTimeNsec = 0;
    this.responseTimeSec = -1;
    this.responseTimeNsec = 0;
    clear(this.queryMessage);
    clear(this.responseMessage);
  }
}

function clear(range: ByteRange): void {
  range.start = -1;
  range.end = -1;
}

/** The reader's cursor and last value: module state, so reading allocates nothing. */
let pos = 0;
let value = 0;
let error = '';

/** Reads a varint at `pos` into `value`; false (with `error`) when cut or over 10 bytes. Values past 2^53 lose precision, which no dnstap field reaches. */
function readVarint(bytes: Uint8Array, end: number): boolean {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) {
      error = 'varint cut at the end';
      return false;
    }
    const byte = bytes[pos++]!;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      value = result;
      return true;
    }
    scale *= 128;
  }
  error = 'varint longer than 10 bytes';
  return false;
}

function readFixed32(bytes: Uint8Array, end: number): boolean {
  if (end - pos < 4) {
    error = 'fixed32 cut at the end';
    return false;
  }
  value = (bytes[pos]! | (bytes[pos + 1]! << 8) | (bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 24)) >>> 0;
  pos += 4;
  return true;
}

/** Skips the field at `pos` of `wireType`. */
function skipField(bytes: Uint8Array, end: number, wireType: number, field: number): boolean {
  switch (wireType) {
    case WIRE_VARINT:
      return readVarint(bytes, end);
    case WIRE_FIXED64:
      if (end - pos < 8) return fail(`field ${field}: fixed64 cut at the end`);
      pos += 8;
      return true;
    case WIRE_BYTES:
      if (!readVarint(bytes, end)) return false;
      if (value > end - pos) return fail(`field ${field}: ${value} bytes past the end`);
      pos += value;
      return true;
    case WIRE_FIXED32:
      if (end - pos < 4) return fail(`field ${field}: fixed32 cut at the end`);
      pos += 4;
      return true;
    default:
      return fail(`field ${field}: wire type ${wireType}`);
  }
}

function fail(reason: string): false {
  error = reason;
  return false;
}

/** Reads a length-delimited field's range into `range`. */
function readBytes(bytes: Uint8Array, end: number, range: ByteRange, field: number): boolean {
  if (!readVarint(bytes, end)) return false;
  if (value > end - pos) return fail(`field ${field}: ${value} bytes past the end`);
  range.start = pos;
  range.end = pos + value;
  pos += value;
  return true;
}

/** Each known field's wire type, by field number (0: unknown, skipped). */
const DNSTAP_WIRE: readonly number[] = [-1, WIRE_BYTES, WIRE_BYTES, WIRE_BYTES, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, WIRE_BYTES, WIRE_VARINT];
const MESSAGE_WIRE: readonly number[] = [
  -1,
  WIRE_VARINT, // 1 type
  WIRE_VARINT, // 2 socket_family
  WIRE_VARINT, // 3 socket_protocol
  WIRE_BYTES, // 4 query_address
  WIRE_BYTES, // 5 response_address
  WIRE_VARINT, // 6 query_port
  WIRE_VARINT, // 7 response_port
  WIRE_VARINT, // 8 query_time_sec
  WIRE_FIXED32, // 9 query_time_nsec
  WIRE_BYTES, // 10 query_message
  WIRE_BYTES, // 11 query_zone
  WIRE_VARINT, // 12 response_time_sec
  WIRE_FIXED32, // 13 response_time_nsec
  WIRE_BYTES, // 14 response_message
];

/** Reads one field key at `pos`; returns [field, wireType] packed as field*8+wire in `value`. */
function readKey(bytes: Uint8Array, end: number): boolean {
  if (!readVarint(bytes, end)) return false;
  if (value < 8) return fail(`field number 0`);
  return true;
}

/**
 * Reads a Dnstap frame from bytes[start, end) into `record` (reset first).
 * Returns null when it is well formed, else a one-line reason.
 */
export function readDnstap(bytes: Uint8Array, record: DnstapRecord, start = 0, end = bytes.length): string | null {
  record.reset();
  pos = start;
  while (pos < end) {
    if (!readKey(bytes, end)) return `protobuf: ${error}`;
    const field = Math.floor(value / 8);
    const wire = value % 8;
    const expected = field < DNSTAP_WIRE.length ? DNSTAP_WIRE[field]! : -1;
    if (expected === -1) {
      if (!skipField(bytes, end, wire, field)) return `protobuf: ${error}`;
      continue;
    }
    if (wire !== expected) return `protobuf: Dnstap field ${field} has wire type ${wire}`;
    if (field === 15) {
      if (!readVarint(bytes, end)) return `protobuf: ${error}`;
      record.kind = value;
    } else if (field === 1) {
      if (!readBytes(bytes, end, record.identity, field)) return `protobuf: ${error}`;
    } else if (field === 2) {
      if (!readBytes(bytes, end, record.version, field)) return `protobuf: ${error}`;
    } else if (field === 14) {
      if (!readVarint(bytes, end)) return `protobuf: ${error}`;
      if (value > end - pos) return `protobuf: Dnstap message of ${value} bytes past the end`;
      const messageEnd = pos + value;
      const reason = readMessage(bytes, record, messageEnd);
      if (reason !== null) return `protobuf: Message ${reason}`;
      record.hasMessage = true;
    } else if (!skipField(bytes, end, wire, field)) {
      return `protobuf: ${error}`;
    }
  }
  return null;
}

/** Reads Message fields from `pos` to `end`; leaves `pos` at `end`. */
function readMessage(bytes: Uint8Array, record: DnstapRecord, end: number): string | null {
  while (pos < end) {
    if (!readKey(bytes, end)) return error;
    const field = Math.floor(value / 8);
    const wire = value % 8;
    const expected = field < MESSAGE_WIRE.length ? MESSAGE_WIRE[field]! : -1;
    if (expected === -1) {
      if (!skipField(bytes, end, wire, field)) return error;
      continue;
    }
    if (wire !== expected) return `field ${field} has wire type ${wire}`;
    switch (field) {
      case 4:
        if (!readBytes(bytes, end, record.queryAddress, field)) return error;
        break;
      case 5:
        if (!readBytes(bytes, end, record.responseAddress, field)) return error;
        break;
      case 10:
        if (!readBytes(bytes, end, record.queryMessage, field)) return error;
        break;
      case 14:
        if (!readBytes(bytes, end, record.responseMessage, field)) return error;
        break;
      case 9:
        if (!readFixed32(bytes, end)) return error;
        record.queryTimeNsec = value;
        break;
      case 13:
        if (!readFixed32(bytes, end)) return error;
        record.responseTimeNsec = value;
        break;
      case 11:
        if (!skipField(bytes, end, wire, field)) return error;
        break;
      default: {
        if (!readVarint(bytes, end)) return error;
        if (field === 1) record.type = value;
        else if (field === 2) record.socketFamily = value;
        else if (field === 3) record.socketProtocol = value;
        else if (field === 6) record.queryPort = value;
        else if (field === 7) record.responsePort = value;
        else if (field === 8) record.queryTimeSec = value;
        else record.responseTimeSec = value;
      }
    }
  }
  return null;
}
