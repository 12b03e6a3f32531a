import { describe, expect, it } from 'vitest';
import { addToSegments, MAX_SEGMENTS, segmentWithin, type FlowSegment } from './segments.js';

describe('flow segments', () => {
  it('keeps flows within lateness of each other together, and a span counts every flow overlapping it unpadded, none outside it padded', () => {
    const owner: { segments: FlowSegment[] } = { segments: [] };
    for (const start of [0, 100, 250, 4000, 4100]) addToSegments(owner, start, start + 1, 10, 1, 300);
    const segments = owner.segments;
    expect(segments.map((s) => s.flows)).toEqual([3, 2]);
    // The unpadded span [3900, 5000] padded by 300: the flows at 4000 and 4100 only.
    const inside = segments.filter((s) => segmentWithin(s, 3600, 5300)).reduce((n, s) => n + s.flows, 0);
    expect(inside).toBe(2);
  });

  it('stays bounded: past MAX_SEGMENTS the oldest merge, totals exact', () => {
    const owner: { segments: FlowSegment[] } = { segments: [] };
    for (let i = 0; i < 1000; i++) addToSegments(owner, i * 1000, i * 1000 + 5, 7, 2, 300);
    const segments = owner.segments;
    expect(segments).toHaveLength(MAX_SEGMENTS);
    expect(segments.reduce((n, s) => n + s.flows, 0)).toBe(1000);
    expect(segments.reduce((n, s) => n + s.bytes, 0)).toBe(7000);
    // The merged oldest segment straddles any recent span's edge: left out, never counted in.
    expect(segmentWithin(segments[0]!, 990_000, 1_000_000)).toBe(false);
    expect(segments.filter((s) => segmentWithin(s, 990_000, 1_000_000)).reduce((n, s) => n + s.flows, 0)).toBe(10);
  });
});
