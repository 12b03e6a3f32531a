/**
 * EDNS(0) padding (RFC 7830) of the queries fluxhound sends to encrypted
 * upstreams, by the block-length strategy of RFC 8467 section 4.1: queries
 * are padded to a multiple of 128 bytes, so their length says little about
 * the name asked. Padding is hop-by-hop, like every EDNS option (RFC 6891
 * 6.1.1), and useless or worse in clear text (RFC 7830 section 6): the
 * upstream's answer loses its padding option before it goes on to the client
 * (the cache, a UDP client; the DoT and DoH listeners pad again for their own
 * clients by padding.ts), and a query to a plain upstream loses the padding
 * option its client sent.
 */
import { findOpt, forEachOption, OPTION_PADDING, padAnswer } from './padding.js';

/** RFC 8467 section 4.1: the recommended query block length. */
export const QUERY_BLOCK = 128;

export interface PaddedQuery {
  bytes: Buffer;
  /** The query had no OPT record and one was added: the answer's is taken out again. */
  addedOpt: boolean;
}

/** `query` padded to a multiple of `block` (its own padding option replaced); the query unchanged when it cannot be walked. */
export function padQuery(query: Buffer, block = QUERY_BLOCK): PaddedQuery {
  const opt = findOpt(query);
  if (opt === undefined) return { bytes: query, addedOpt: false };
  const padded = padAnswer(stripPadding(query), block);
  return { bytes: padded, addedOpt: opt === null && padded !== query };
}

/**
 * `message` without its padding option (the same buffer when it has none);
 * with `removeOpt`, without its whole OPT record when the record holds
 * nothing else a client could read (no option left, no extended RCODE):
 * the answer to a query that had no EDNS until we padded it.
 */
export function stripPadding(message: Buffer, removeOpt = false): Buffer {
  const opt = findOpt(message);
  if (opt === null || opt === undefined) return message;
  const rdata = opt.rdlength + 2;
  const kept: Buffer[] = [];
  let found = false;
  forEachOption(message, opt, (code, at, next) => {
    if (code === OPTION_PADDING) found = true;
    else kept.push(message.subarray(at, next));
  });
  const keptLength = kept.reduce((n, b) => n + b.length, 0);
  // The OPT owner is the root (one zero byte), then TYPE, CLASS, TTL: RDLENGTH is 9 bytes in.
  const start = opt.rdlength - 9;
  const extendedRcode = message[opt.rdlength - 4]!;
  if (removeOpt && keptLength === 0 && extendedRcode === 0 && start >= 12 && message[start] === 0) {
    const out = Buffer.concat([message.subarray(0, start), message.subarray(opt.end)]);
    out.writeUInt16BE(out.readUInt16BE(10) - 1, 10);
    return out;
  }
  if (!found) return message;
  const out = Buffer.concat([message.subarray(0, rdata), ...kept, message.subarray(opt.end)]);
  out.writeUInt16BE(keptLength, opt.rdlength);
  return out;
}
