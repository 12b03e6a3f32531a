/**
 * Watermarks: how far into the input (global observation index) each worker
 * has got. Int32 slots compared with wrap-around arithmetic, so a daemon's
 * index may pass 2^31 (workers stay within 2^30 of each other: the main
 * thread holds back when one runs far ahead).
 */
import type { SharedCounters } from './protocol.js';

/** Slots for `n` workers. */
export function sharedCounters(n: number): SharedCounters {
  const slot = (count: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * count));
  return { watermark: slot(n), published: slot(n), waiting: slot(n), abort: slot(1) };
}

/** Is watermark `mark` at or past index `i`? */
export function reached(mark: number, i: number): boolean {
  return ((mark - i) | 0) >= 0;
}

/**
 * Worker p dealt with everything below i: move its mark, and wake whoever
 * waits once the mark reaches what they wait for (waiting[p] holds the
 * lowest index waited for, 0 none). Waking a waiter at every record instead
 * made two readers ping-pong through the kernel at every record while one
 * waited (seconds of futex time on 1.27M records).
 */
export function advance(c: SharedCounters, p: number, i: number): void {
  Atomics.store(c.watermark, p, i | 0);
  const target = Atomics.load(c.waiting, p);
  if (target !== 0 && reached(i, target)) {
    Atomics.store(c.waiting, p, 0);
    Atomics.notify(c.watermark, p);
  }
}

/** Note that someone waits for worker q's mark to reach i: keep the lowest index waited for (0 means none, so 0 waits for 1). */
function noteWaiting(c: SharedCounters, q: number, i: number): void {
  const target = i | 0 || 1;
  for (;;) {
    const held = Atomics.load(c.waiting, q);
    if (held !== 0 && reached(target, held)) return;
    if (Atomics.compareExchange(c.waiting, q, held, target) === held) return;
  }
}

export class Aborted extends Error {
  constructor() {
    super('detect/parallel: stopped (a worker failed or the detector closed)');
  }
}

/** Loads of a peer's mark before sleeping (a few microseconds). */
const SPIN = 2000;

/**
 * Block until worker q's watermark reaches i. Sleeps (Atomics.wait) rather
 * than spins; wakes every `sliceMs` to notice an abort. `deadline` (epoch ms):
 * give up then (a stuck worker must not hang the run).
 */
export function waitFor(c: SharedCounters, q: number, i: number, deadline = Infinity, sliceMs = 100): void {
  // Readers in step wait for each other at about one record in eight, each time for a record or two: a short
  // spin catches most of those without a sleep and a wake-up through the kernel (tens of microseconds each).
  // Noted first: a reader that stores its mark lazily stores it at once for someone waiting.
  noteWaiting(c, q, i);
  for (let spin = 0; spin < SPIN; spin++) if (reached(Atomics.load(c.watermark, q), i)) return;
  for (;;) {
    if (reached(Atomics.load(c.watermark, q), i)) return;
    if (Atomics.load(c.abort, 0) !== 0) throw new Aborted();
    if (Date.now() > deadline) throw new Error(`detect/parallel: worker ${q} did not get past observation ${i} in time`);
    noteWaiting(c, q, i);
    const mark = Atomics.load(c.watermark, q);
    if (reached(mark, i)) return;
    Atomics.wait(c.watermark, q, mark, sliceMs);
  }
}

/** Stop everyone waiting (a failure or close). */
export function abortAll(c: SharedCounters): void {
  Atomics.store(c.abort, 0, 1);
  for (let q = 0; q < c.watermark.length; q++) Atomics.notify(c.watermark, q);
}

/** Place order of what workers report: input index, then partition, then order within the partition at that index. */
export function byPlace(a: { at: number; partition: number; seq: number }, b: { at: number; partition: number; seq: number }): number {
  return a.at - b.at || a.partition - b.partition || a.seq - b.seq;
}
