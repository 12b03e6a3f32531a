/**
 * Builders written as generators that `yield` between small units of work
 * (one verdict, one object, one merge run), so one code path serves both
 * callers: `analyze` runs them to the end at once (runSteps), the daemon runs
 * them in slices with the event loop free between them (serve/slices.ts
 * runStepsYielding). The same steps in the same order give the same bytes.
 */

/** A build that yields (undefined) between units and returns its result. */
export type Steps<T> = Generator<void, T, void>;

/** Runs a build to its end, synchronously. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done === true) return next.value;
  }
}

/** Leaf runs sorted whole; larger ones merged a unit at a time. */
const RUN = 512;

/**
 * Sorts `items` in place by `compare`, yielding after each leaf run and each
 * MERGE_STEP elements merged: a bottom-up merge sort (stable), so a sort of
 * 100,000 ids never holds the thread the way one Array.prototype.sort does.
 */
export function* sortSteps<T>(items: T[], compare: (a: T, b: T) => number): Steps<T[]> {
  const n = items.length;
  for (let start = 0; start < n; start += RUN) {
    const run = items.slice(start, start + RUN).sort(compare);
    for (let i = 0; i < run.length; i++) items[start + i] = run[i]!;
    yield;
  }
  let from = items;
  let to = new Array<T>(n);
  for (let width = RUN; width < n; width *= 2) {
    for (let left = 0; left < n; left += 2 * width) {
      const mid = Math.min(left + width, n);
      const right = Math.min(left + 2 * width, n);
      let i = left;
      let j = mid;
      for (let k = left; k < right; k++) {
        // Ties take the left run first: stable, like Array.prototype.sort.
        to[k] = i < mid && (j >= right || compare(from[i]!, from[j]!) <= 0) ? from[i++]! : from[j++]!;
        if ((k & 4095) === 4095) yield;
      }
    }
    [from, to] = [to, from];
  }
  if (from !== items) for (let k = 0; k < n; k++) items[k] = from[k]!;
  return items;
}
