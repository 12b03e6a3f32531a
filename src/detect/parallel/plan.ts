/**
 * Whether an analyze run is worth (and fit for) worker threads: the inputs
 * are sniffed up front, as readInputs will, because a partitioned run
 * cannot take flows (see README.md, "Flows").
 */
import { open } from 'node:fs/promises';
import { holdsFlows, SNIFF_BYTES } from '../../sources/input.js';
import type { SourceFormat } from '../../sources/source.js';
import { MAX_PARTITIONS } from './index.js';

/** Formats that never carry flow records (flows need one thread: the detector asks the flow analysis synchronously). */
const DNS_ONLY = new Set(['zeek', 'zeek-json', 'pdns', 'dnstap']);

/**
 * Below this much input one thread is faster: starting a worker loads the
 * ASN and country tables and the reference lists again (about half a second
 * each, measured), which 32 MiB of Zeek dns.log (~150k records) repays.
 */
export const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;

export interface ParallelPlan {
  /** 1: one Detector in the main thread. */
  partitions: number;
  /** Why one thread although more were asked for; null otherwise. */
  reason: string | null;
}

export interface PlanOptions {
  workers: number;
  minBytes?: number;
  /** Intel feeds are loaded (workers do not load feeds). */
  intel: boolean;
}

export async function parallelPlan(files: readonly string[], format: string, formats: readonly SourceFormat[], options: PlanOptions): Promise<ParallelPlan> {
  const one = (reason: string): ParallelPlan => ({ partitions: 1, reason });
  if (options.workers < 2) return { partitions: 1, reason: null };
  if (options.intel) return one('intel feeds are loaded (workers do not load them)');
  if (files.includes('-')) return one('stdin is read');
  const forced = format === 'auto' ? null : (formats.find((f) => f.name === format) ?? null);
  let total = 0;
  const mayHoldFlows: [file: string, format: string][] = [];
  for (const file of files) {
    let head: Buffer;
    try {
      const handle = await open(file, 'r');
      try {
        total += (await handle.stat()).size;
        const buffer = Buffer.alloc(SNIFF_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
        head = buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch {
      // readInputs reports the file's error in its own words.
      return one(`${file} cannot be read`);
    }
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return one(`${file} is compressed`);
    const found = forced ?? formats.find((f) => f.sniff(head));
    if (found === undefined) return one(`${file}: format not recognised`);
    if (!DNS_ONLY.has(found.name)) mayHoldFlows.push([file, found.name]);
  }
  const minBytes = options.minBytes ?? PARALLEL_MIN_BYTES;
  if (total < minBytes) return one(`input under ${Math.round(minBytes / 1048576)} MiB`);
  // Last, as it reads whole files: a capture is scanned for export datagrams (SourceFormat.createFlowScanner); one
  // of DNS alone qualifies. (A small input is refused above unscanned: analyze's own scan would read it again.)
  for (const [file, name] of mayHoldFlows) if (await holdsFlows(file, { format, formats })) return one(`${file} (${name}) may hold flows`);
  return { partitions: Math.min(options.workers, MAX_PARTITIONS), reason: null };
}
