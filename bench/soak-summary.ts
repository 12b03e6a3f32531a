/**
 * The soak's arithmetic, kept apart from its sockets so it is tested
 * (soak-summary.test.ts): peaks of the /proc samples, the probes' tallies,
 * how the attack's connections are spread over child processes within their
 * descriptor limit, and the targets with pass or fail.
 */

/** One /proc sample of the fluxhound process, every 100 ms. */
export interface ProcSample {
  /** Milliseconds since the soak began. */
  atMs: number;
  rssMb: number;
  /** VmHWM: the kernel's own peak RSS, so a spike between two samples is not missed. */
  hwmMb: number;
  fds: number;
}

export interface ProcPeaks {
  samples: number;
  rssPeakMb: number;
  fdsPeak: number;
  /** RSS and descriptors at the last sample: flat or falling after the attack means bounded. */
  rssEndMb: number;
  fdsEnd: number;
}

export function procPeaks(samples: readonly ProcSample[]): ProcPeaks {
  let rssPeakMb = 0;
  let fdsPeak = 0;
  for (const s of samples) {
    rssPeakMb = Math.max(rssPeakMb, s.rssMb, s.hwmMb);
    fdsPeak = Math.max(fdsPeak, s.fds);
  }
  const last = samples[samples.length - 1];
  return { samples: samples.length, rssPeakMb, fdsPeak, rssEndMb: last?.rssMb ?? 0, fdsEnd: last?.fds ?? 0 };
}

/** The listeners the soak attacks, each with a well-behaved probe. */
export const LISTENERS = ['dns-tcp', 'block-page', 'rpz-server', 'dnstap', 'http'] as const;
export type Listener = (typeof LISTENERS)[number];

export interface ProbeOutcome {
  listener: Listener;
  phase: 'baseline' | 'attack';
  ok: boolean;
  /** Why it failed (timeout, ECONNRESET, a wrong answer), or what it got. */
  detail: string;
}

export interface ProbeTally {
  listener: Listener;
  phase: 'baseline' | 'attack';
  ok: number;
  failed: number;
  /** Each distinct failure reason with its count, most frequent first. */
  reasons: [string, number][];
}

export function tallyProbes(outcomes: readonly ProbeOutcome[]): ProbeTally[] {
  const tallies: ProbeTally[] = [];
  for (const phase of ['baseline', 'attack'] as const) {
    for (const listener of LISTENERS) {
      const mine = outcomes.filter((o) => o.listener === listener && o.phase === phase);
      if (mine.length === 0) continue;
      const reasons = new Map<string, number>();
      for (const o of mine) if (!o.ok) reasons.set(o.detail, (reasons.get(o.detail) ?? 0) + 1);
      tallies.push({ listener, phase, ok: mine.filter((o) => o.ok).length, failed: mine.filter((o) => !o.ok).length, reasons: [...reasons].sort((a, b) => b[1] - a[1]) });
    }
  }
  return tallies;
}

/**
 * How many attacker processes, and how many slowloris connections per
 * listener each opens, so no process needs more descriptors than `fdLimit`
 * (less a margin for its own files). Connections are spread as evenly as the
 * counts allow; the pipelining clients all go to the first process.
 */
export function splitAttack(perListener: number, listeners: number, pipeliners: number, fdLimit: number, margin = 128): number[] {
  const usable = fdLimit - margin;
  if (usable < listeners + pipeliners) throw new Error(`soak: a descriptor limit of ${fdLimit} leaves no room for the attack`);
  const total = perListener * listeners + pipeliners;
  const processes = Math.max(1, Math.ceil(total / usable));
  const shares: number[] = [];
  for (let i = 0; i < processes; i++) shares.push(Math.floor(perListener / processes) + (i < perListener % processes ? 1 : 0));
  return shares;
}

export interface GoodClients {
  qps: number;
  p99Ms: number | null;
  lost: number;
}

export interface SoakTargets {
  rssLimitMb: number;
  /** Good clients keep at least this share of their unattacked qps. */
  keepShare: number;
}

export const DEFAULT_TARGETS: SoakTargets = { rssLimitMb: 512, keepShare: 0.5 };

export interface Verdict {
  what: string;
  pass: boolean;
  figure: string;
}

export function soakVerdicts(peaks: ProcPeaks, baseline: GoodClients | null, attacked: GoodClients | null, probes: readonly ProbeTally[], targets: SoakTargets = DEFAULT_TARGETS): Verdict[] {
  const verdicts: Verdict[] = [
    { what: `RSS stays under ${targets.rssLimitMb} MB`, pass: peaks.samples > 0 && peaks.rssPeakMb < targets.rssLimitMb, figure: `peak ${peaks.rssPeakMb.toFixed(0)} MB` },
  ];
  const share = baseline === null || attacked === null || !(baseline.qps > 0) ? null : attacked.qps / baseline.qps;
  verdicts.push({
    what: `good clients keep ≥ ${Math.round(targets.keepShare * 100)}% of their unattacked qps`,
    pass: share !== null && share >= targets.keepShare,
    figure: share === null ? 'not measured' : `${(share * 100).toFixed(0)}% (${Math.round(attacked!.qps)} of ${Math.round(baseline!.qps)} qps)`,
  });
  for (const listener of LISTENERS) {
    const t = probes.find((p) => p.listener === listener && p.phase === 'attack');
    verdicts.push({
      what: `${listener} serves a well-behaved client during the attack`,
      pass: t !== undefined && t.ok > 0 && t.failed === 0,
      figure: t === undefined ? 'not probed' : `${t.ok} ok, ${t.failed} failed${t.reasons.length > 0 ? ` (${t.reasons.slice(0, 3).map(([r, n]) => `${r} ×${n}`).join('; ')})` : ''}`,
    });
  }
  return verdicts;
}
