import { describe, expect, it } from 'vitest';
import { formatPcap, pairedRatio, type PcapFigures, type PcapSide } from './pcap.js';

function sideOf(label: string, seconds: number[], packets: number): PcapSide {
  const sorted = [...seconds].sort((a, b) => a - b);
  const medianSeconds = sorted[sorted.length >> 1]!;
  return { label, seconds, cpuSeconds: [], medianSeconds, medianCpuSeconds: null, packetsPerSecond: packets / medianSeconds, packetsPerCpuSecond: null };
}

describe('pcap bench: paired ratio', () => {
  it("is the median of each run's ratio to the peer run beside it", () => {
    // Per-run ratios 3.1, 4.0, 3.0: their median is 3.1.
    expect(pairedRatio([10, 12, 9], [31, 48, 27])).toBeCloseTo(3.1, 10);
    expect(pairedRatio([10, 20], [30, 30, 99])).toBeCloseTo((3 + 1.5) / 2, 10);
    expect(pairedRatio([], [30])).toBeNull();
  });

  it('is printed under the ratio of the medians, which alone decides the target', () => {
    const packets = 1_300_000;
    // A host whose speed drifts: medians 11 s vs 36 s (3.3×), but the runs side by side give 3.6×, 3.0×, 2.6× (3.0×).
    const figures: PcapFigures = {
      capture: null,
      decoder: sideOf('decoder', [1.6, 1.7, 1.6], packets),
      analyze: sideOf('analyze', [10, 16, 11], packets),
      tshark: sideOf('tshark', [36, 48, 28.6], packets),
      observations: 1_000_000,
      skipped: 0,
      notes: [],
      failures: [],
    };
    const text = formatPcap(figures);
    expect(text).toMatch(/analyze end to end \/ tshark: 3\.3× wall, meets the ≥ 3× target/);
    expect(text).toMatch(/paired: the median of the 3 per-run ratios .*: 3\.0× wall/);
  });
});
