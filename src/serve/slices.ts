/**
 * Work on the daemon's one thread that must not hold the sockets: done in
 * slices of at most SLICE_MS, each on its own setImmediate, so a query that
 * arrives meanwhile waits for one slice at most.
 */

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
