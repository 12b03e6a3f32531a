/**
 * Query names' partitions keyed by the bytes of their query column, for the
 * router (router.ts): a hit costs a hash and a compare of the name's bytes,
 * no string and no registered-domain parse. A Map keyed by the decoded
 * string cost a fresh string and its hash per line (a tenth of the routing
 * thread's time on 1M Zeek lines). Bounded: it starts over when full.
 */

/** Slots of the open-addressing table (twice the names held). */
const SLOT_BITS = 19;
const SLOTS = 1 << SLOT_BITS;
/** Names held at most (as the reading workers' memo), and bytes of their keys. */
const MAX_NAMES = SLOTS >>> 1;
const ARENA_BYTES = 16 << 20;
/** Longest key kept (a plain name is at most 253 bytes and a dot). */
const MAX_KEY = 255;

export class NameMemo {
  private readonly hashes = new Int32Array(SLOTS);
  private readonly offsets = new Int32Array(SLOTS);
  private readonly lengths = new Uint8Array(SLOTS);
  private readonly parts = new Uint8Array(SLOTS);
  private readonly names: (string | undefined)[] = new Array<string | undefined>(SLOTS);
  private readonly arena = new Uint8Array(ARENA_BYTES);
  private used = 0;
  private count = 0;
  /** Where find() stopped: the empty slot a miss would take, and its hash. */
  private missSlot = -1;
  private missHash = 0;

  /** The slot holding bytes[start, end), or -1 (add() may follow with the same bytes). */
  find(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    // 0 marks an empty slot.
    if (h === 0) h = 1;
    let slot = (h >>> (32 - SLOT_BITS)) & (SLOTS - 1);
    for (;;) {
      const held = this.hashes[slot]!;
      if (held === 0) break;
      if (held === h && this.lengths[slot] === length && this.sameBytes(slot, bytes, start, length)) return slot;
      slot = (slot + 1) & (SLOTS - 1);
    }
    this.missSlot = slot;
    this.missHash = h;
    return -1;
  }

  partition(slot: number): number {
    return this.parts[slot]!;
  }

  name(slot: number): string {
    return this.names[slot]!;
  }

  /** Remember the bytes find() just missed. */
  add(bytes: Uint8Array, start: number, end: number, partition: number, name: string): void {
    const length = end - start;
    if (length > MAX_KEY || this.missSlot < 0) return;
    if (this.count >= MAX_NAMES || this.used + length > ARENA_BYTES) {
      this.clear();
      this.find(bytes, start, end);
    }
    const slot = this.missSlot;
    this.missSlot = -1;
    this.arena.set(bytes.subarray(start, end), this.used);
    this.hashes[slot] = this.missHash;
    this.offsets[slot] = this.used;
    this.lengths[slot] = length;
    this.parts[slot] = partition;
    this.names[slot] = name;
    this.used += length;
    this.count++;
  }

  private sameBytes(slot: number, bytes: Uint8Array, start: number, length: number): boolean {
    const arena = this.arena;
    const at = this.offsets[slot]!;
    for (let i = 0; i < length; i++) if (arena[at + i] !== bytes[start + i]) return false;
    return true;
  }

  private clear(): void {
    this.hashes.fill(0);
    this.names.fill(undefined);
    this.used = 0;
    this.count = 0;
  }
}
