/**
 * Run a child process and measure it from outside: wall time, peak RSS and
 * CPU time (user + system, every thread) from GNU time (`/usr/bin/time -f
 * '%e %M %U %S'`) when it is installed, otherwise wall time from this process
 * and no RSS or CPU (the child's own figure still counts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const GNU_TIME = '/usr/bin/time';
/** How much of the child's stderr is kept for error messages. */
const STDERR_TAIL = 4000;

export interface Measured {
  wallSeconds: number;
  /** Peak RSS of the child from GNU time; null without it. */
  maxRssBytes: number | null;
  /** User + system CPU seconds of the child, all its threads, from GNU time; null without it. */
  cpuSeconds: number | null;
  stdout: string;
}

export interface MeasureOptions {
  /** Names the run in errors: 'fluxhound analyze', 'duckdb unnest threads=1'. */
  what: string;
  /** Where GNU time writes its figures; removed after reading. */
  timeFile: string;
  /** Keep stdout (small JSON results); otherwise it goes to /dev/null as a user's redirect would. */
  keepStdout: boolean;
}

export async function runMeasured(command: string, args: readonly string[], options: MeasureOptions): Promise<Measured> {
  const { what, timeFile } = options;
  const useTime = existsSync(GNU_TIME);
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%e %M %U %S', '-o', timeFile, command, ...args]] : [command, [...args]];
  const started = process.hrtime.bigint();
  const { code, stdout, stderr } = await run(file, argv, options.keepStdout);
  const ownWall = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) {
    throw new Error(`bench: ${what} exited with ${code}: ${stderr.trim().slice(-STDERR_TAIL) || '(no output)'}`);
  }
  if (!useTime) return { wallSeconds: ownWall, maxRssBytes: null, cpuSeconds: null, stdout };
  const [wall, rssKb, user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
  rmSync(timeFile, { force: true });
  return {
    wallSeconds: Number.isFinite(wall) ? (wall as number) : ownWall,
    maxRssBytes: Number.isFinite(rssKb) ? (rssKb as number) * 1024 : null,
    cpuSeconds: Number.isFinite(user) && Number.isFinite(system) ? (user as number) + (system as number) : null,
    stdout,
  };
}

function run(file: string, argv: readonly string[], keepStdout: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL * 2);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
