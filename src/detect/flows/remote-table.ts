/**
 * Remote addresses (any public flow end that is no known CDN/cloud address)
 * with who talked to them, so that flows that come before the verdict naming
 * an address a flux host still count when it arrives, and so that the
 * detector can ask what flows say about a domain's addresses.
 *
 * Per address: exact totals (flows, bytes and packets × sampling, first and
 * last time) and a capped set of per-peer tallies (limits.maxClientsPerAddress).
 * A peer past the cap is in the totals only (its flows counted in
 * `untallied`) and in a 1,024-bit linear-counting sketch per direction,
 * made when the cap is first reached (from the tallies), so distinct peers
 * stay estimated (within a few per cent to a few thousand) at 256 bytes
 * for a busy address and nothing for the rest. The table holds
 * limits.maxAddresses entries and limits.maxClientEntries tallies over all
 * of them; the least recently seen address makes room for either (counted:
 * `evicted` addresses, `evictedTallies`, and `evictedPending`, the flows
 * of their tallies no verdict had joined yet). Run totals (flows, exposures
 * already joined) stay exact; what is lost is the late join of an
 * address nobody flagged while it was remembered.
 */
import type { FlowDirection } from '../../model/flow.js';
import { Recency } from './recency.js';
import type { FlowSegment } from './segments.js';
import { sketchAdd, sketchCount } from './sketch.js';

/** One peer's flows with one remote address, in one direction. */
export interface PeerTally {
  /** Our host: the client that connected (outbound) or the host the remote address connected to (inbound). */
  peer: string;
  direction: FlowDirection;
  first: number;
  last: number;
  flows: number;
  bytes: number;
  packets: number;
  sampled: boolean;
  /** What of the above an exposure took already (so a later verdict adds only the rest). */
  joinedFlows: number;
  joinedBytes: number;
  joinedPackets: number;
  /** The same flows by time (segments.ts: this tally is its one segment while they fit one), for windowed evidence and span-exact late joins; the caller files them. */
  minStart: number;
  maxStart: number;
  minEnd: number;
  maxEnd: number;
  segments: FlowSegment[] | null;
}

/** Tallies searched one by one before an address gets an index. */
const INDEX_FROM = 8;

function tallyKey(t: PeerTally): string {
  return t.direction === 'outbound' ? t.peer : `<${t.peer}`;
}

/** Bits of a peer sketch (32-bit words: 1,024 bits). */
export const PEER_SKETCH_WORDS = 32;

export class RemoteEntry {
  first = Infinity;
  last = -Infinity;
  flows = 0;
  bytes = 0;
  packets = 0;
  /** Flows of peers beyond the tally cap (in the totals, in no tally). */
  untallied = 0;
  /** Of those, flows that matched no flux host when they came: a later verdict cannot say whose they were. */
  unattributed = 0;
  /** Per-peer tallies, in arrival order. */
  readonly tallies: PeerTally[] = [];
  /** Past a few tallies, an index keyed by peer (outbound) or '<' + peer (inbound); most addresses have one or two peers and no index. */
  private index: Map<string, PeerTally> | null = null;
  /** Distinct peers per direction once the cap was reached; null before. */
  outSketch: Uint32Array | null = null;
  inSketch: Uint32Array | null = null;

  constructor(readonly address: string) {}

  get overflowed(): boolean {
    return this.outSketch !== null;
  }

  /** Distinct peers in a direction: exact while every peer has a tally, then the sketch's estimate. */
  peers(direction: FlowDirection): number {
    let tallied = 0;
    for (const t of this.tallies) if (t.direction === direction) tallied++;
    const sketch = direction === 'outbound' ? this.outSketch : this.inSketch;
    return sketch === null ? tallied : Math.max(tallied, sketchCount(sketch));
  }

  /** Start sketching: every tallied peer first. */
  overflow(): void {
    this.outSketch = new Uint32Array(PEER_SKETCH_WORDS);
    this.inSketch = new Uint32Array(PEER_SKETCH_WORDS);
    for (const t of this.tallies) sketchAdd(t.direction === 'outbound' ? this.outSketch : this.inSketch, t.peer);
  }

  find(peer: string, direction: FlowDirection): PeerTally | undefined {
    if (this.index !== null) return this.index.get(direction === 'outbound' ? peer : `<${peer}`);
    for (const t of this.tallies) if (t.peer === peer && t.direction === direction) return t;
    return undefined;
  }

  insert(tally: PeerTally): void {
    this.tallies.push(tally);
    if (this.index !== null) this.index.set(tallyKey(tally), tally);
    else if (this.tallies.length > INDEX_FROM) this.index = new Map(this.tallies.map((t) => [tallyKey(t), t]));
  }
}

export class RemoteTable {
  private readonly entries = new Recency<RemoteEntry>();
  /** Tallies held over all addresses (limits.maxClientEntries). */
  private tallyCount = 0;
  evicted = 0;
  evictedTallies = 0;
  evictedPending = 0;

  constructor(
    private readonly maxAddresses: number,
    private readonly maxPeers: number,
    private readonly maxTallies: number = Infinity,
  ) {}

  get tallies(): number {
    return this.tallyCount;
  }

  get size(): number {
    return this.entries.size;
  }

  get(address: string): RemoteEntry | undefined {
    return this.entries.peek(address);
  }

  /** Count one flow between a remote address and one of our hosts; returns the tally, or null when the cap left it out. */
  add(address: string, peer: string, direction: FlowDirection, start: number, end: number, bytes: number, packets: number, sampled: boolean): PeerTally | null {
    let entry = this.entries.use(address);
    if (entry === undefined) {
      if (this.entries.size >= this.maxAddresses) this.dropOldest();
      entry = new RemoteEntry(address);
      this.entries.add(address, entry);
    }
    if (start < entry.first) entry.first = start;
    if (end > entry.last) entry.last = end;
    entry.flows++;
    entry.bytes += bytes;
    entry.packets += packets;
    if (entry.outSketch !== null) sketchAdd(direction === 'outbound' ? entry.outSketch : entry.inSketch!, peer);
    let tally = entry.find(peer, direction);
    if (tally === undefined) {
      while (this.tallyCount >= this.maxTallies && this.entries.oldest() !== entry && this.dropOldest());
      if (entry.tallies.length >= this.maxPeers || this.tallyCount >= this.maxTallies) {
        if (entry.outSketch === null) {
          entry.overflow();
          sketchAdd(direction === 'outbound' ? entry.outSketch! : entry.inSketch!, peer);
        }
        entry.untallied++;
        return null;
      }
      tally = { peer, direction, first: start, last: end, flows: 0, bytes: 0, packets: 0, sampled: false, joinedFlows: 0, joinedBytes: 0, joinedPackets: 0, minStart: start, maxStart: start, minEnd: end, maxEnd: end, segments: null };
      entry.insert(tally);
      this.tallyCount++;
    }
    if (start < tally.first) tally.first = start;
    if (end > tally.last) tally.last = end;
    tally.flows++;
    tally.bytes += bytes;
    tally.packets += packets;
    if (sampled) tally.sampled = true;
    return tally;
  }

  /** Forget the least recently seen address with its tallies (counted); false when the table is empty. */
  private dropOldest(): boolean {
    const entry = this.entries.shift();
    if (entry === undefined) return false;
    this.evicted++;
    this.tallyCount -= entry.tallies.length;
    this.evictedTallies += entry.tallies.length;
    for (const t of entry.tallies) this.evictedPending += t.flows - t.joinedFlows;
    return true;
  }
}
