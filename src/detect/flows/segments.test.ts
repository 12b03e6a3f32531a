import { describe, expect, it } from 'vitest';
import { addToSegments, fileFlow, MAX_SEGMENTS, segmentsOf, segmentWithin, type FlowSegment, type SegmentedTally } from './segments.js';

describe('flow segments', () => {
  it('keeps flows within lateness of each other together, and a span counts every flow overlapping it unpadded, none outside it padded', () => {
    const segments: FlowSegment[] = [];
    for (const start of [0, 100, 250, 4000, 4100]) addToSegments(segments, start, start + 1, 10, 1, 300);
    expect(segments.map((s) => s.flows)).toEqual([3, 2]);
    // The unpadded span [3900, 5000] padded by 300: the flows at 4000 and 4100 only.
    const inside = segments.filter((s) => segmentWithin(s, 3600, 5300)).reduce((n, s) => n + s.flows, 0);
    expect(inside).toBe(2);
  });

  it('stays bounded: past MAX_SEGMENTS the oldest merge, totals exact', () => {
    const segments: FlowSegment[] = [];
    for (let i = 0; i < 1000; i++) addToSegments(segments, i * 1000, i * 1000 + 5, 7, 2, 300);
    expect(segments).toHaveLength(MAX_SEGMENTS);
    expect(segments.reduce((n, s) => n + s.flows, 0)).toBe(1000);
    expect(segments.reduce((n, s) => n + s.bytes, 0)).toBe(7000);
    // The merged oldest segment straddles any recent span's edge: left out, never counted in.
    expect(segmentWithin(segments[0]!, 990_000, 1_000_000)).toBe(false);
    expect(segments.filter((s) => segmentWithin(s, 990_000, 1_000_000)).reduce((n, s) => n + s.flows, 0)).toBe(10);
  });

  it('a tally is its own one segment while its flows fit, and splits into a list (totals and joins kept) when one does not', () => {
    const t: SegmentedTally = { minStart: 0, maxStart: 0, minEnd: 1, maxEnd: 1, flows: 0, bytes: 0, packets: 0, joinedFlows: 0, joinedBytes: 0, joinedPackets: 0, segments: null };
    // As RemoteTable.add counts each flow in the tally before it is filed.
    const flow = (start: number, bytes: number, joined: boolean) => {
      t.flows++;
      t.bytes += bytes;
      t.packets++;
      fileFlow(t, start, start + 1, bytes, 1, 300, joined);
    };
    flow(0, 100, true);
    flow(200, 50, false);
    expect(t.segments).toBeNull();
    expect(segmentsOf(t)).toEqual([t]);
    flow(5000, 7, true);
    expect(segmentsOf(t).map((s) => [s.flows, s.bytes, s.joinedFlows, s.joinedBytes, s.minStart, s.maxEnd])).toEqual([[2, 150, 1, 100, 0, 201], [1, 7, 1, 7, 5000, 5001]]);
    expect([t.flows, t.bytes, t.joinedFlows, t.joinedBytes]).toEqual([3, 157, 2, 107]);
  });
});
