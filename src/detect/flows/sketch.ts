/**
 * Linear-counting bitmaps for distinct addresses (detect/state.ts's
 * linearCount, wider than the detector's 64-bit client sketch): a peer set
 * past its cap, a host's fan-out window. Within a few per cent up to about
 * twice the width; at every bit set, the width's ceiling (w·ln w).
 */
import { linearCount, popcount } from '../state.js';

/** FNV-1a with a final mix, so that addresses differing in their last octet spread over the whole bitmap. */
export function addressHash(address: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Set the address's bit (the bitmap's width is a power of two, 32 or more). */
export function sketchAdd(sketch: Uint32Array, address: string): void {
  sketchAddHash(sketch, addressHash(address));
}

export function sketchAddHash(sketch: Uint32Array, hash: number): void {
  const h = hash & (sketch.length * 32 - 1);
  sketch[h >>> 5]! |= 1 << (h & 31);
}

export function sketchCount(sketch: Uint32Array): number {
  let set = 0;
  for (let i = 0; i < sketch.length; i++) set += popcount(sketch[i]!);
  const bits = sketch.length * 32;
  return linearCount(bits - set, bits);
}

/** All bits set: the count is the ceiling, a lower bound of the truth. */
export function sketchSaturated(sketch: Uint32Array): boolean {
  for (let i = 0; i < sketch.length; i++) if (sketch[i] !== 0xffffffff) return false;
  return true;
}
