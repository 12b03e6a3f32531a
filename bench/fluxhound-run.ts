/**
 * One fluxhound run over a file, as a user would start it:
 * `node dist/src/cli/main.js analyze --json --stats-json STATS FILE`
 * with stdout to /dev/null (under `node --expose-gc` for the memory bench:
 * see runFluxhound). The CLI's own statistics (the contract below) are read
 * back from STATS and checked.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Measured } from './measure.js';
import { runMeasured } from './measure.js';

/** What `analyze --stats-json` writes; other fields may be present. */
export interface FluxhoundStats {
  records: number;
  skipped: number;
  domainsTracked: number;
  flagged: number;
  elapsedMs: number;
  maxRssBytes: number;
  heapUsedAfterGcBytes: number | null;
  /** Heap in use before the input was read, when the CLI reports it. */
  heapUsedBaselineBytes?: number | null;
  /** Detector threads that ran, and why one when workers were asked for (issue 18), when the CLI reports them. */
  workers?: number;
  workersNote?: string | null;
}

export interface FluxhoundRun {
  stats: FluxhoundStats;
  measured: Measured;
}

export function fluxhoundCli(root: string): string {
  return join(root, 'dist/src/cli/main.js');
}

/**
 * `--workers auto` when the built CLI has the flag (issue 18: analyze on every
 * core), else nothing: the bench then measures the one-thread analyze and
 * says so (see workersLabel).
 */
export function workersArgs(root: string): string[] {
  const cli = fluxhoundCli(root);
  if (!existsSync(cli)) return [];
  const help = execFileSync(process.execPath, [cli, 'analyze', '--help'], { encoding: 'utf8' });
  return help.includes('--workers') ? ['--workers', 'auto'] : [];
}

/**
 * How the report names the analyze it ran: the flag given, and the threads
 * that ran when the CLI's statistics say (a partitioned run needs a large
 * DNS-only input; the CLI says why it stayed on one thread).
 */
export function workersLabel(args: readonly string[], stats?: Pick<FluxhoundStats, 'workers' | 'workersNote'>): string {
  if (args.length === 0) return 'fluxhound analyze (1 thread: no --workers)';
  const ran = stats?.workers;
  if (ran === undefined) return 'fluxhound analyze --workers auto';
  return ran > 1 ? `fluxhound analyze --workers auto (${ran} thr.)` : 'fluxhound analyze --workers auto (1 thr.)';
}

/**
 * heap: run node with --expose-gc, so that analyze collects garbage before
 * and after the input and reports the heap in use (the memory bench). A full
 * collection of the end-of-input heap takes 0.2 to 0.6 s: inside elapsedMs,
 * and no part of what a user's run does, so the timed runs go without it.
 */
export async function runFluxhound(root: string, file: string, workDir: string, extraArgs: readonly string[] = [], { heap = false } = {}): Promise<FluxhoundRun> {
  const cli = fluxhoundCli(root);
  if (!existsSync(cli)) throw new Error(`bench: fluxhound: ${cli} does not exist (is the CLI built?)`);
  const statsFile = join(workDir, 'fluxhound-stats.json');
  rmSync(statsFile, { force: true });
  const measured = await runMeasured(
    process.execPath,
    [...(heap ? ['--expose-gc'] : []), cli, 'analyze', '--json', '--stats-json', statsFile, ...extraArgs, file],
    { what: 'fluxhound analyze', timeFile: join(workDir, 'fluxhound.time'), keepStdout: false },
  );
  const stats = parseStats(readFileSync(statsFile, 'utf8'), statsFile);
  rmSync(statsFile, { force: true });
  return { stats, measured };
}

export function parseStats(text: string, file: string): FluxhoundStats {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`bench: fluxhound: ${file}: not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`bench: fluxhound: ${file}: not a JSON object`);
  const stats = parsed as Record<string, unknown>;
  for (const field of ['records', 'skipped', 'domainsTracked', 'flagged', 'elapsedMs', 'maxRssBytes'] as const) {
    if (typeof stats[field] !== 'number') throw new Error(`bench: fluxhound: ${file}: '${field}' is missing or not a number`);
  }
  for (const field of ['heapUsedAfterGcBytes', 'heapUsedBaselineBytes'] as const) {
    const value = stats[field];
    if (value !== undefined && value !== null && typeof value !== 'number') {
      throw new Error(`bench: fluxhound: ${file}: '${field}' must be a number or null`);
    }
  }
  return parsed as FluxhoundStats;
}
