/**
 * Work on the daemon's one thread that must not hold the sockets: done in
 * slices of at most SLICE_MS, each on its own setImmediate, so a query that
 * arrives meanwhile waits for one slice at most.
 */
import type { Steps } from '../act/steps.js';

/** Milliseconds one slice may run before yielding to the sockets. */
export const SLICE_MS = 0.5;

/**
 * Calls `step` until it returns false, yielding after each SLICE_MS (and
 * whenever `go` turns false, which ends the run); then `done`.
 */
export function runInSlices(step: () => boolean, go: () => boolean, done: () => void): void {
  const slice = (): void => {
    const started = performance.now();
    let more = true;
    while (go() && (more = step())) {
      if (performance.now() - started >= SLICE_MS) break;
    }
    if (more && go()) setImmediate(slice);
    else done();
  };
  slice();
}

/**
 * Milliseconds one slice of a periodic rebuild (serve/share, the TAXII
 * republication) may run: coarser than SLICE_MS, as a rebuild's steps are
 * larger (a verdict's objects hashed) and it runs once per 10 s at most.
 */
export const REBUILD_SLICE_MS = 4;

/**
 * The longest slice any runStepsYielding ran, wall and CPU (ms; CPU is the
 * process's, so a slice preempted on a busy host shows its own work), for
 * bench/share.ts.
 */
export const rebuildSlices = { longestMs: 0, longestCpuMs: 0, slices: 0 };

/**
 * Runs act/steps.ts steps in slices of `sliceMs`, each on its own
 * setImmediate: the same result as runSteps, with the event loop free (DNS
 * answers, timers, HTTP) between slices. `sliceMs` 0 yields after every step.
 */
export async function runStepsYielding<T>(steps: Steps<T>, sliceMs = REBUILD_SLICE_MS): Promise<T> {
  for (;;) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (;;) {
      const next = steps.next();
      if (next.done === true) {
        noteSlice(performance.now() - started, cpu);
        return next.value;
      }
      if (performance.now() - started >= sliceMs) break;
    }
    noteSlice(performance.now() - started, cpu);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function noteSlice(ms: number, cpuAtStart: NodeJS.CpuUsage): void {
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  rebuildSlices.slices++;
  if (ms > rebuildSlices.longestMs) rebuildSlices.longestMs = ms;
  if (cpuMs > rebuildSlices.longestCpuMs) rebuildSlices.longestCpuMs = cpuMs;
}
