/**
 * EDNS(0) padding (RFC 7830) of encrypted answers, by the block-length
 * strategy of RFC 8467 section 4.1: a server pads its answer to a multiple
 * of 468 bytes when, and only when, the query carried a padding option, so
 * an answer's length says little about the name asked. Used by DNS over
 * TLS and DNS over HTTPS (wire form); a clear-text answer is never padded
 * (RFC 7830 section 6).
 */
import { skipName } from './wire.js';

/** RFC 8467 section 4.1: the recommended response block length. */
export const RESPONSE_BLOCK = 468;
export const TYPE_OPT = 41;
export const OPTION_PADDING = 12;
/** The UDP size our added OPT record advertises (DNS flag day 2020). */
export const OPT_UDP_SIZE = 1232;

export interface OptRecord {
  /** Offset of the RDLENGTH field. */
  rdlength: number;
  /** Offset of the first byte past the RDATA. */
  end: number;
}

/** The OPT record of a message (the last one in its additional section), null when it has none, undefined when it cannot be walked. */
export function findOpt(bytes: Uint8Array): OptRecord | null | undefined {
  if (bytes.length < 12) return undefined;
  const count = (at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
  const qd = count(4);
  const records = count(6) + count(8);
  const additional = count(10);
  let p = 12;
  for (let i = 0; i < qd; i++) {
    p = skipName(bytes, p, bytes.length);
    if (p < 0 || p + 4 > bytes.length) return undefined;
    p += 4;
  }
  let opt: OptRecord | null = null;
  for (let i = 0; i < records + additional; i++) {
    p = skipName(bytes, p, bytes.length);
    if (p < 0 || p + 10 > bytes.length) return undefined;
    const type = count(p);
    const rdlength = count(p + 8);
    const end = p + 10 + rdlength;
    if (end > bytes.length) return undefined;
    if (i >= records && type === TYPE_OPT) opt = { rdlength: p + 8, end };
    p = end;
  }
  return opt;
}

/**
 * The one walk of an OPT record's options (padding, hop-options,
 * query-padding): `visit(code, at, next)` for each, `at` its first byte,
 * `next` the byte past it (clipped to the record); stops when it returns true.
 */
export function forEachOption(message: Uint8Array, opt: OptRecord, visit: (code: number, at: number, next: number) => boolean | void): void {
  for (let p = opt.rdlength + 2; p + 4 <= opt.end; ) {
    const next = Math.min(opt.end, p + 4 + ((message[p + 2]! << 8) | message[p + 3]!));
    if (visit((message[p]! << 8) | message[p + 1]!, p, next) === true) return;
    p = next;
  }
}

/**
 * `message` with an OPT record appended (ARCOUNT + 1; UDP size OPT_UDP_SIZE,
 * no flags) whose RDATA is `rdlength` zero bytes from offset `rdata`, for the
 * caller to fill.
 */
export function appendOpt(message: Buffer, rdlength: number): { out: Buffer; rdata: number } {
  const out = Buffer.alloc(message.length + 11 + rdlength);
  message.copy(out, 0);
  out.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  const p = message.length + 1; // past the root owner name (one zero byte)
  out.writeUInt16BE(TYPE_OPT, p);
  out.writeUInt16BE(OPT_UDP_SIZE, p + 2);
  out.writeUInt32BE(0, p + 4);
  out.writeUInt16BE(rdlength, p + 8);
  return { out, rdata: p + 10 };
}

/** True when the query has an OPT record with a padding option. */
export function wantsPadding(query: Uint8Array): boolean {
  const opt = findOpt(query);
  if (opt === null || opt === undefined) return false;
  let found = false;
  forEachOption(query, opt, (code) => (found = code === OPTION_PADDING));
  return found;
}

/**
 * The answer to `query` as an encrypted listener sends it: padded to the
 * response block when the query carried a padding option (RFC 8467 4.1),
 * else unchanged. DoH's wire answers (RFC 8484 section 9 points to RFC 8467).
 */
export function padIfAsked(query: Uint8Array, answer: Buffer): Buffer {
  return wantsPadding(query) ? padAnswer(answer) : answer;
}

/**
 * The answer padded to a multiple of `block` bytes with a padding option in
 * its OPT record (one is added, with the answer's ARCOUNT, when the
 * upstream's answer had none); the answer itself when it cannot be parsed.
 */
export function padAnswer(answer: Buffer, block = RESPONSE_BLOCK): Buffer {
  const opt = findOpt(answer);
  if (opt === undefined) return answer;
  const added = opt === null ? 11 : 0;
  const bare = answer.length + added + 4;
  const padding = (block - (bare % block)) % block;
  if (bare + padding > 65_535) return answer;
  if (opt === null) {
    const { out, rdata } = appendOpt(answer, 4 + padding);
    out.writeUInt16BE(OPTION_PADDING, rdata);
    out.writeUInt16BE(padding, rdata + 2);
    return out;
  }
  const out = Buffer.alloc(bare + padding);
  answer.copy(out, 0, 0, opt.end);
  out.writeUInt16BE(answer.readUInt16BE(opt.rdlength) + 4 + padding, opt.rdlength);
  out.writeUInt16BE(OPTION_PADDING, opt.end);
  out.writeUInt16BE(padding, opt.end + 2);
  answer.copy(out, opt.end + 4 + padding, opt.end);
  return out;
}

