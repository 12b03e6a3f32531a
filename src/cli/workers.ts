/** `--workers auto|N` for analyze and serve, and what 'auto' means for each. */
import { UsageError } from './errors.js';

/** --workers: 'auto' or a whole number 1..64 (a usage error otherwise, naming the command). */
export function parseWorkers(command: string, text: string): 'auto' | number {
  if (text === 'auto') return 'auto';
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 64) throw new UsageError(`${command}: --workers: expected 'auto' or a whole number 1..64, got '${text}'`);
  return n;
}

/**
 * serve's detector threads for a setting, and why when 'auto' keeps one:
 * one thread examines a site's lookups well within its answer path until
 * the site outgrows a core, and on a small shared machine two workers
 * measured slower than one thread (analyze, src/detect/parallel/README.md).
 * So N is asked for explicitly; everything serve does works with N (the
 * API's network view, flows, intel feeds, --confirm, a verdict reload).
 */
export function serveWorkers(setting: 'auto' | number): { count: number; note: string | null } {
  if (setting !== 'auto') return { count: setting, note: null };
  return { count: 1, note: "detector: one thread ('auto' means 1 for serve: one thread keeps up until a site's lookups outgrow a core; --workers N or config workers: N to use N threads)" };
}

/** Cores below which analyze's 'auto' keeps one thread. */
export const ANALYZE_AUTO_MIN_CORES = 4;

/**
 * analyze's detector threads for a setting on a machine with `cores`: 'auto'
 * is every core (at most 16) from ANALYZE_AUTO_MIN_CORES up, else one thread.
 * Why: every worker loads its own tables, and the input is read and split by
 * each worker (or, for Zeek TSV, once by the main thread, which routes each
 * worker its lines: src/detect/parallel/README.md "Routed reading"), so on 2
 * cores two workers measured slower than one thread (1M Zeek records: about
 * 23 s of CPU in four threads against 12.5 s, same output); with free cores
 * the split detection pays.
 */
export function analyzeWorkers(setting: 'auto' | number, cores: number): number {
  if (setting !== 'auto') return setting;
  return cores >= ANALYZE_AUTO_MIN_CORES ? Math.min(16, cores) : 1;
}
