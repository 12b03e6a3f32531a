/**
 * The hash ResponseConflicts compares two responses' answers by (README:
 * conflicts), taken while a message is read rather than from the strings
 * afterwards: an order-independent sum over the answer records of a hash of
 * each record's type and data, plus one of the rcode. A and AAAA data (most
 * answers) are hashed as their 4 or 16 bytes, which stand for exactly one
 * text each, instead of character by character; other data as its text.
 * Two answer sets hash alike exactly when they hold the same records (TTLs
 * aside), but for a collision chance of about 2^-32, as before.
 */

const SEED_RCODE = 0x3c6ef372;
const PRIME = 0x01000193;

/** The hash of one answer record: its type and its data, whose text `data` is (the bytes rdata[rdStart, rdEnd) for A and AAAA). */
export function recordHash(type: number, bytes: Uint8Array, rdStart: number, rdEnd: number, data: string): number {
  let h = Math.imul(0x811c9dc5 ^ type, PRIME);
  if (type === 1 || type === 28) {
    // A, AAAA: the address bytes, a word at a time (recordData accepted only 4 and 16 of them).
    for (let p = rdStart; p < rdEnd; p += 4) h = Math.imul(h ^ ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!), 0x5bd1e995);
  } else {
    for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data.charCodeAt(i), PRIME);
  }
  return fmix32(h ^ (rdEnd - rdStart));
}

/** The start of a response's answer hash: its header rcode. */
export function rcodeHash(rcode: number): number {
  return fmix32(SEED_RCODE ^ rcode);
}

/**
 * murmur3's final mixing: every input bit reaches every output bit, so that
 * sums of record hashes stay spread (and ResponseConflicts' low index bits do).
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
