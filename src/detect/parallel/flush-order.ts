/**
 * One detector's end-of-input order, rebuilt from partitions.
 *
 * Detector.flush() finalises the name table in slot order, then the
 * registered-domain aggregates and listed domains in insertion order (Map).
 * Every flush verdict of a partition has the same place (end of input), so
 * byPlace cannot order them; this does. Insertion order is the input index
 * where an entry entered its table (FluxState.born). Slot order is not: under
 * linear probing a name's slot depends on which names came before it and on
 * when the table grew. So the main thread replays one detector's table: every
 * name the partitions hold at flush, inserted by input index into a NameTable
 * of the detector's initial size (growth included), then read in slot order.
 *
 * Exact when no name left a table before the end (an eviction by
 * limits.idleTimeout or maxDomains): one detector's table held the evicted
 * names too, which can change when it grew and where later names landed.
 */
import type { FlushGroup } from '../detector.js';
import { NameTable } from '../name-table.js';

/** Where a flush verdict's entry sits in its detector: FlushGroup, key, input index it entered at. */
export interface FlushEntry {
  group: FlushGroup;
  key: string;
  born: number;
}

/** A partition's name table at flush: keys and input index of entry, side by side. */
export interface FlushNames {
  names: string[];
  born: number[];
}

/** Something placed by a flush entry, its partition and its order within the partition. */
export interface FlushPlaced {
  flush?: FlushEntry;
  partition: number;
  seq: number;
}

/**
 * Sort flush verdicts into one detector's order: names in the replayed
 * table's slot order, then aggregates and listed domains by input index.
 * `tables` are every partition's names (each name lives in one partition).
 */
export function sortLikeOneDetector<T extends FlushPlaced>(items: T[], tables: readonly FlushNames[]): T[] {
  const slots = replaySlots(tables, new Set(items.filter((i) => i.flush?.group === 0).map((i) => i.flush!.key)));
  const rank = (i: T): number => (i.flush === undefined ? Infinity : i.flush.group === 0 ? (slots.get(i.flush.key) ?? Infinity) : i.flush.born);
  const group = (i: T): number => i.flush?.group ?? 3;
  return items.sort((a, b) => group(a) - group(b) || rank(a) - rank(b) || a.partition - b.partition || a.seq - b.seq);
}

/** The slot-order rank of each wanted name in one detector's table holding all `tables`' names. */
function replaySlots(tables: readonly FlushNames[], wanted: ReadonlySet<string>): Map<string, number> {
  const ranks = new Map<string, number>();
  if (wanted.size === 0) return ranks;
  const names: string[] = [];
  const born: number[] = [];
  for (const t of tables) {
    for (const n of t.names) names.push(n);
    for (const b of t.born) born.push(b);
  }
  const order = Array.from(names.keys()).sort((a, b) => born[a]! - born[b]!);
  // The detector's table: `new NameTable<FluxState>()`, default initial size.
  const table = new NameTable<number>();
  for (const i of order) table.set(names[i]!, i);
  let rank = 0;
  for (const i of table.values()) {
    const name = names[i]!;
    if (wanted.has(name)) ranks.set(name, rank);
    rank++;
  }
  return ranks;
}
