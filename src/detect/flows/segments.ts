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
 * Memory: a tally whose flows fit one segment is that segment (four times
 * more, no list); measured ~190 B more per tally with a list for every one.
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

/**
 * A tally that is its own one segment while its flows fit one (most do: no
 * array, no second object), and keeps a list once they do not.
 */
export interface SegmentedTally extends FlowSegment {
  segments: FlowSegment[] | null;
}

/** The tally's segments: itself while it has one. */
export function segmentsOf(t: SegmentedTally): readonly FlowSegment[] {
  return t.segments ?? [t];
}

/**
 * File a flow the tally has just counted (its flows, bytes and packets include
 * it) under its time; `joined` when an exposure took it on arrival.
 */
export function fileFlow(t: SegmentedTally, start: number, end: number, bytes: number, packets: number, spread: number, joined: boolean): void {
  if (t.segments === null) {
    if (!fits(t, start, end, spread)) {
      // The tally's earlier flows become the first segment; this one opens the next.
      t.segments = [{
        minStart: t.minStart, maxStart: t.maxStart, minEnd: t.minEnd, maxEnd: t.maxEnd,
        flows: t.flows - 1, bytes: t.bytes - bytes, packets: t.packets - packets,
        joinedFlows: t.joinedFlows, joinedBytes: t.joinedBytes, joinedPackets: t.joinedPackets,
      }];
    } else {
      stretch(t, start, end);
      if (joined) markJoined(t, bytes, packets);
      return;
    }
  }
  const s = addToSegments(t.segments, start, end, bytes, packets, spread);
  if (joined) {
    markJoined(s, bytes, packets);
    markJoined(t, bytes, packets);
  }
}

/** Add one flow to a list of segments (newest last); returns the segment it went to. */
export function addToSegments(segments: FlowSegment[], start: number, end: number, bytes: number, packets: number, spread: number): FlowSegment {
  let s = segments[segments.length - 1];
  if (s === undefined || !fits(s, start, end, spread)) {
    if (segments.length >= MAX_SEGMENTS) mergeOldest(segments);
    s = { minStart: start, maxStart: start, minEnd: end, maxEnd: end, flows: 0, bytes: 0, packets: 0, joinedFlows: 0, joinedBytes: 0, joinedPackets: 0 };
    segments.push(s);
  }
  stretch(s, start, end);
  s.flows++;
  s.bytes += bytes;
  s.packets += packets;
  return s;
}

function fits(s: FlowSegment, start: number, end: number, spread: number): boolean {
  return Math.max(s.maxStart, start) - Math.min(s.minStart, start) <= spread && Math.max(s.maxEnd, end) - Math.min(s.minEnd, end) <= spread;
}

function stretch(s: FlowSegment, start: number, end: number): void {
  if (start < s.minStart) s.minStart = start;
  if (start > s.maxStart) s.maxStart = start;
  if (end < s.minEnd) s.minEnd = end;
  if (end > s.maxEnd) s.maxEnd = end;
}

function markJoined(s: FlowSegment, bytes: number, packets: number): void {
  s.joinedFlows++;
  s.joinedBytes += bytes;
  s.joinedPackets += packets;
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
