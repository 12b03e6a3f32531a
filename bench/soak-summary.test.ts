import { describe, expect, it } from 'vitest';
import { LISTENERS, procPeaks, soakVerdicts, splitAttack, tallyProbes, type ProbeOutcome, type ProbeTally, type ProcSample } from './soak-summary.js';

const sample = (atMs: number, rssMb: number, hwmMb: number, fds: number): ProcSample => ({ atMs, rssMb, hwmMb, fds });

describe('procPeaks', () => {
  it('takes the kernel high-water mark when a spike fell between two samples', () => {
    const peaks = procPeaks([sample(0, 150, 150, 40), sample(100, 300, 900, 1500), sample(200, 280, 900, 60)]);
    expect(peaks).toEqual({ samples: 3, rssPeakMb: 900, fdsPeak: 1500, rssEndMb: 280, fdsEnd: 60 });
  });

  it('is all zero without samples (the process never started)', () => {
    expect(procPeaks([])).toEqual({ samples: 0, rssPeakMb: 0, fdsPeak: 0, rssEndMb: 0, fdsEnd: 0 });
  });
});

describe('tallyProbes', () => {
  it('counts each listener and phase apart, failure reasons most frequent first', () => {
    const outcomes: ProbeOutcome[] = [
      { listener: 'dns-tcp', phase: 'baseline', ok: true, detail: 'answered' },
      { listener: 'dns-tcp', phase: 'attack', ok: false, detail: 'ECONNRESET' },
      { listener: 'dns-tcp', phase: 'attack', ok: false, detail: 'no answer in time' },
      { listener: 'dns-tcp', phase: 'attack', ok: false, detail: 'no answer in time' },
      { listener: 'dns-tcp', phase: 'attack', ok: true, detail: 'answered' },
      { listener: 'http', phase: 'attack', ok: true, detail: 'HTTP 503' },
    ];
    expect(tallyProbes(outcomes)).toEqual([
      { listener: 'dns-tcp', phase: 'baseline', ok: 1, failed: 0, reasons: [] },
      { listener: 'dns-tcp', phase: 'attack', ok: 1, failed: 3, reasons: [['no answer in time', 2], ['ECONNRESET', 1]] },
      { listener: 'http', phase: 'attack', ok: 1, failed: 0, reasons: [] },
    ]);
  });
});

describe('splitAttack', () => {
  it('keeps the whole attack in one process when it fits the descriptor limit', () => {
    expect(splitAttack(300, 5, 20, 20_000)).toEqual([300]);
  });

  it('spreads the connections evenly over processes that each fit', () => {
    // 300 × 5 + 20 = 1520 connections, 1024 − 128 = 896 usable a process: two processes.
    const shares = splitAttack(300, 5, 20, 1024);
    expect(shares).toEqual([150, 150]);
    expect(Math.max(...shares) * 5 + 20).toBeLessThanOrEqual(1024 - 128);
  });

  it('gives the remainder to the first processes', () => {
    // 299 × 5 = 1495 connections, 500 usable a process: three processes.
    expect(splitAttack(299, 5, 0, 628)).toEqual([100, 100, 99]);
  });

  it('refuses a limit that leaves no room', () => {
    expect(() => splitAttack(10, 5, 20, 100)).toThrow(/no room/);
  });
});

describe('soakVerdicts', () => {
  const peaks = procPeaks([sample(0, 200, 210, 80)]);
  const allOk: ProbeTally[] = LISTENERS.map((listener) => ({ listener, phase: 'attack', ok: 10, failed: 0, reasons: [] }));

  it('passes a run inside every target', () => {
    const verdicts = soakVerdicts(peaks, { qps: 40_000, p99Ms: 1, lost: 0 }, { qps: 20_000, p99Ms: 3, lost: 0 }, allOk);
    expect(verdicts.map((v) => v.pass)).toEqual([true, true, true, true, true, true, true]);
    expect(verdicts[1]!.figure).toBe('50% (20000 of 40000 qps)');
  });

  it('fails memory, throughput and each listener that refused a probe', () => {
    const big = procPeaks([sample(0, 600, 2200, 20_000)]);
    const probes = allOk.map((t) => (t.listener === 'dnstap' ? { ...t, ok: 9, failed: 1, reasons: [['ECONNRESET', 1]] } : t)) satisfies ProbeTally[];
    const verdicts = soakVerdicts(big, { qps: 40_000, p99Ms: 1, lost: 0 }, { qps: 19_999, p99Ms: 300, lost: 9 }, probes);
    expect(verdicts.filter((v) => !v.pass).map((v) => v.what)).toEqual([
      'RSS stays under 512 MB',
      'good clients keep ≥ 50% of their unattacked qps',
      'dnstap serves a well-behaved client during the attack',
    ]);
    expect(verdicts.find((v) => v.what.startsWith('dnstap'))!.figure).toBe('9 ok, 1 failed (ECONNRESET ×1)');
  });

  it('fails what was not measured rather than passing it', () => {
    const verdicts = soakVerdicts(procPeaks([]), null, null, []);
    expect(verdicts.every((v) => !v.pass)).toBe(true);
    expect(verdicts[1]!.figure).toBe('not measured');
  });
});
