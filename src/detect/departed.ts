/**
 * DepartedAddresses: the addresses a domain's full address table let go, so
 * that distinct counts stay exact over a long run. The table keeps the 64
 * most recently seen addresses (limits.maxAddressesPerDomain); without this,
 * an address pushed out and seen again was counted again (the bundled example
 * repeated over 40 days showed 3,728 IPs for a name with 98).
 *
 * Made only when a domain's table first overflows, and held in the state's
 * rarely made marks, so the many domains with a handful of addresses pay
 * nothing for it. It holds one fingerprint
 * per departed address: an IPv4 key is its own fingerprint (exact); an IPv6
 * text is hashed to 52 bits placed above the IPv4 range (two distinct IPv6
 * addresses share one with odds of about n²/2⁵³: under 10⁻⁹ at the cap).
 * At most MAX_DEPARTED fingerprints (~24 KiB); beyond, further departures are
 * not recorded, so the count stops growing and is reported as a lower bound
 * ("at least N IPs", `lower_bounds` in the verdict).
 */
import type { AddressKey } from './address-table.js';

/** Fingerprints kept per domain: 16 tables' worth at the default cap of 64. */
export const MAX_DEPARTED = 1024;

export class DepartedAddresses {
  private readonly fingerprints: Set<number>;
  /** Latest last-seen (data seconds) among departed addresses: a window reaching back to it holds more than the table shows. */
  lastSeen = -1;
  /** Departures after MAX_DEPARTED went unrecorded: distinct counts from then on are lower bounds. */
  full = false;
  /** A window count was taken while a departed address lay inside the window: the window peaks are lower bounds. */
  windowInexact = false;

  constructor(from?: DepartedAddresses) {
    this.fingerprints = from === undefined ? new Set() : new Set(from.fingerprints);
    if (from !== undefined) {
      this.lastSeen = from.lastSeen;
      this.full = from.full;
      this.windowInexact = from.windowInexact;
    }
  }

  get size(): number {
    return this.fingerprints.size;
  }

  /** An address left the table (it was last seen at lastSeen). */
  add(key: AddressKey, lastSeen: number): void {
    if (lastSeen > this.lastSeen) this.lastSeen = lastSeen;
    if (this.fingerprints.size >= MAX_DEPARTED) {
      this.full = true;
      return;
    }
    this.fingerprints.add(fingerprint(key));
  }

  /** The address left the table before (so it is not a new one). */
  has(key: AddressKey): boolean {
    return this.fingerprints.has(fingerprint(key));
  }
}

/**
 * A new address for a domain's distinct count: not in the table (the caller
 * checked), and not one that left it. Once fingerprints stopped being
 * recorded, an unknown address may be one that left since: nothing is
 * counted, so the count is a lower bound.
 */
export function isNovel(departed: DepartedAddresses | null, key: AddressKey): boolean {
  return departed === null || (!departed.full && !departed.has(key));
}

const IPV6_BASE = 2 ** 32;

function fingerprint(key: AddressKey): number {
  if (typeof key === 'number') return key;
  // FNV-1a twice (two offsets), 32 + 20 bits.
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return IPV6_BASE + (a >>> 0) * 2 ** 20 + (b >>> 12);
}
