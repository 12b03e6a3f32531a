/**
 * Which worker a name belongs to: every name of one registered domain lands
 * in the same partition, so a domain's whole state (its names, its
 * registered-domain aggregate, its zone cuts) lives in one detector. Names
 * without a registered domain (the root, public suffixes) go by the name.
 * FNV-1a over the UTF-16 code units: stable across runs, processes and
 * machines (a cluster's sensors agree with each other).
 */
import { registrableDomain } from './registered-domain.js';

/** The partition key of a queried name: its registered domain, else the name itself. */
export function partitionKey(name: string): string {
  return registrableDomain(name) ?? name;
}

/** 32-bit FNV-1a of a string. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The partition (0..count-1) of a queried name among `count`. */
export function partitionOf(name: string, count: number): number {
  return count <= 1 ? 0 : fnv1a(partitionKey(name)) % count;
}
