/**
 * A peer tally's flows kept by time, so that the flow evidence and a late
 * verdict's join count only the flows of the window they ask about
 * (REVIEW16 findings 1 and 3), not every flow the peer ever had.
 *
 * A segment holds flows whose starts lie within `spread` seconds of each
 * other, and whose ends too (spread = flows.lateness). The question asked is
 * always "which flows overlap [lo, hi]", where [lo, hi] is a span padded by
 * lateness on both sides; a segment is counted only when every flow in it
 * overlaps (minEnd ≥ lo and maxStart ≤ hi). So nothing outside the padded
 * span is ever counted, and every flow overlapping the unpadded span is:
 * its segment's other flows start and end within lateness of it.
 *
 * Bounded: at most MAX_SEGMENTS per tally; past that the two oldest merge
 * (totals stay exact; only that old history loses its time resolution, and
 * a merged segment straddling a span's edge is left out, never counted in).
 */

export interface FlowSegment {
  minStart: number;
  maxStart: number;
  minEnd: number;
  maxEnd: number;
  flows: number;
  bytes: number;
  packets: number;
  /** What of it an exposure took already. */
  joinedFlows: number;
  joinedBytes: number;
  joinedPackets: number;
}

/** Segments per tally before the oldest merge: a day of flows every 5 min apart is 288, a busy hour 12; 16 covers the window and its lateness. */
export const MAX_SEGMENTS = 16;

/** Add one flow to a tally's segments (newest last); returns the segment it went to. */
export function addToSegments(owner: { segments: FlowSegment[] }, start: number, end: number, bytes: number, packets: number, spread: number): FlowSegment {
  const segments = owner.segments;
  let s = segments[segments.length - 1];
  if (s === undefined || Math.max(s.maxStart, start) - Math.min(s.minStart, start) > spread || Math.max(s.maxEnd, end) - Math.min(s.minEnd, end) > spread) {
    if (segments.length >= MAX_SEGMENTS) mergeOldest(segments);
    s = { minStart: start, maxStart: start, minEnd: end, maxEnd: end, flows: 0, bytes: 0, packets: 0, joinedFlows: 0, joinedBytes: 0, joinedPackets: 0 };
    // Most tallies keep one segment: a one-element literal, not a push that reserves room for 17.
    if (segments.length === 0) owner.segments = [s];
    else segments.push(s);
  }
  if (start < s.minStart) s.minStart = start;
  if (start > s.maxStart) s.maxStart = start;
  if (end < s.minEnd) s.minEnd = end;
  if (end > s.maxEnd) s.maxEnd = end;
  s.flows++;
  s.bytes += bytes;
  s.packets += packets;
  return s;
}

/** Every flow of the segment overlaps [lo, hi]. */
export function segmentWithin(s: FlowSegment, lo: number, hi: number): boolean {
  return s.minEnd >= lo && s.maxStart <= hi;
}

function mergeOldest(segments: FlowSegment[]): void {
  const a = segments[0]!;
  const b = segments[1]!;
  a.minStart = Math.min(a.minStart, b.minStart);
  a.maxStart = Math.max(a.maxStart, b.maxStart);
  a.minEnd = Math.min(a.minEnd, b.minEnd);
  a.maxEnd = Math.max(a.maxEnd, b.maxEnd);
  a.flows += b.flows;
  a.bytes += b.bytes;
  a.packets += b.packets;
  a.joinedFlows += b.joinedFlows;
  a.joinedBytes += b.joinedBytes;
  a.joinedPackets += b.joinedPackets;
  segments.splice(1, 1);
}
