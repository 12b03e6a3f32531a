/**
 * The process's soft limit on open file descriptors (RLIMIT_NOFILE). Node
 * has no getrlimit; Linux shows it in /proc/self/limits. Elsewhere, or when
 * the file cannot be read, 1024 (the common default) is assumed: a budget
 * too small refuses clients early, one too large lets them take every fd.
 */
import { readFileSync } from 'node:fs';

export const ASSUMED_FD_LIMIT = 1024;

export function softFdLimit(): number {
  try {
    return parseSoftFdLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return ASSUMED_FD_LIMIT;
  }
}

/** The soft "Max open files" of a /proc/PID/limits text ('unlimited' reads as 1,048,576, Linux's nr_open default). */
export function parseSoftFdLimit(text: string): number {
  const line = /^Max open files\s+(\S+)/m.exec(text);
  if (line === null) return ASSUMED_FD_LIMIT;
  if (line[1] === 'unlimited') return 1_048_576;
  const n = Number(line[1]);
  return Number.isInteger(n) && n > 0 ? n : ASSUMED_FD_LIMIT;
}

/**
 * Connections all listeners together may hold: `configured` when given
 * (never more than the fds leave), else the soft limit minus `reserve` (the
 * store, the upstream sockets, log and RPZ file writes, listening sockets),
 * and at least 16 so a tiny limit still serves someone.
 */
export function connectionBudget(fdLimit: number, reserve: number, configured: number): number {
  const available = Math.max(16, fdLimit - reserve);
  return configured > 0 ? Math.min(configured, available) : available;
}
