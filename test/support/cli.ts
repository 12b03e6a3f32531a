/**
 * The built command line, for tests that run it as a user would. `npm test`
 * builds before vitest starts; a test never builds (a build during the run
 * would rewrite files other tests are running from).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

// From test/support in the sources, or dist/test/support when a bench (compiled) uses it.
const ABOVE = join(import.meta.dirname, '..', '..');
export const ROOT = basename(ABOVE) === 'dist' ? join(ABOVE, '..') : ABOVE;
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Throws a clear message when there is no build to run. */
export function requireBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test builds first)`);
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI as a separate process, as an operator runs it; resolves (never rejects) with its exit code and output. */
export function fluxhound(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

/** A daemon (`fluxhound serve ...`) run by a test: its output so far, its verdict lines, its exit. */
export interface RunningDaemon {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The JSON lines (verdicts) printed on stdout so far. */
  events<T = { domain: string; verdict: string }>(): T[];
  exited: Promise<number | null>;
}

export function spawnFluxhound(args: string[]): RunningDaemon {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    events: <T,>() =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as T),
    exited,
  };
}
