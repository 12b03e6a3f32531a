/**
 * The filter of other partitions' answer addresses (worker.ts): a one-hash
 * Bloom filter of FOREIGN_BITS bits. Its bit of an address is computed here
 * for the worker that sets it and for the main thread that routes lines
 * (router.ts hands each worker the bits of the other partitions' lines).
 */
import type { AddressKey } from '../address-table.js';
import { hashName } from '../name-table.js';

/** Bits of the filter of other partitions' answer addresses (2^24: 2 MiB). */
export const FOREIGN_LOG2 = 24;
export const FOREIGN_BITS = 1 << FOREIGN_LOG2;

/** The filter bit of an address key (IPv4 as its integer, IPv6 by its text). */
export function foreignBit(key: AddressKey): number {
  const h = typeof key === 'number' ? Math.imul(key, 0x9e3779b1) : hashName(key);
  // The high bits: a multiplicative hash's low bits depend only on the key's low bits.
  return h >>> (32 - FOREIGN_LOG2);
}
