/**
 * Fan-out: a host of ours (a flow's source; the side that connected when a
 * reply is recognised) that contacts flows.fanOut.distinct or more distinct
 * external addresses within flows.fanOut.window seconds. Not counted: known
 * CDN/cloud addresses (ordinary browsing goes through them), special-purpose
 * space, and DNS/NTP service ports (a resolver asks thousands of servers).
 *
 * Windows tumble: one opens at a host's first counted flow and closes
 * window seconds later (on the host's next flow, or when the data time has
 * passed it by lateness). Distinct addresses are counted in a linear-counting
 * bitmap sized for the threshold (2,048 bits for the default 200: within a few
 * per cent; exact up to 32), so a host costs the same whatever it scans. A host is reported
 * when a window closes over the threshold, once per episode: the next report
 * needs a window under it first.
 */
import { isoTime } from '../../model/verdict.js';
import type { FanOut } from '../../model/flow.js';
import { addressHash, sketchAddHash, sketchCount } from './sketch.js';

/** Distinct contacts of a window counted exactly (by hash) before a host gets a bitmap. */
const EXACT_CONTACTS = 32;
import type { HostEntry } from './host-table.js';
import { duration, plural } from '../features/family.js';

/** Distinct flux addresses remembered per window (beyond it counted as "at least"). */
export const FLUX_CAP = 64;

/** Bits of the distinct-address bitmap for a threshold: a power of two ≥ 1024 and ≥ 8 × threshold (linear counting is within about 2 % at an eighth of its width, a few per cent up to about twice it). */
export function sketchBits(distinct: number): number {
  let bits = 1024;
  while (bits < distinct * 8 && bits < 1 << 20) bits *= 2;
  return bits;
}

/** Count one external address a host contacted in its open window. */
export function noteContact(entry: HostEntry, address: string, flux: boolean, start: number, end: number, bits: number): void {
  const hash = addressHash(address);
  if (entry.sketch !== null) sketchAddHash(entry.sketch, hash);
  else if (entry.contacts === null) entry.contacts = [hash];
  else if (!entry.contacts.includes(hash)) {
    if (entry.contacts.length < EXACT_CONTACTS) entry.contacts.push(hash);
    else {
      entry.sketch = new Uint32Array(bits / 32);
      for (const h of entry.contacts) sketchAddHash(entry.sketch, h);
      sketchAddHash(entry.sketch, hash);
      entry.contacts = null;
    }
  }
  entry.windowFlows++;
  if (start < entry.windowFirst) entry.windowFirst = start;
  if (end > entry.windowLast) entry.windowLast = end;
  if (flux) {
    if (entry.flux === null) entry.flux = new Set();
    if (entry.flux.size < FLUX_CAP) entry.flux.add(address);
  }
}

/** Close the host's window: the fan-out record when it crossed the threshold and starts an episode, else null. */
export function closeWindow(entry: HostEntry, threshold: number, window: number, customer: string | null): FanOut | null {
  // Each distinct address took a flow: an estimate above the window's flows is the sketch's error (REVIEW16 #10).
  const distinct = entry.sketch !== null ? Math.min(sketchCount(entry.sketch), entry.windowFlows) : (entry.contacts?.length ?? 0);
  let report: FanOut | null = null;
  const over = threshold > 0 && distinct >= threshold;
  if (over && !entry.inEpisode) report = fanOutRecord(entry, distinct, threshold, window, customer);
  entry.inEpisode = over;
  entry.lastWindowEnd = entry.windowStart + window;
  entry.windowStart = -1;
  entry.windowFirst = Infinity;
  entry.windowLast = -Infinity;
  entry.windowFlows = 0;
  entry.sketch?.fill(0);
  entry.contacts = null;
  entry.flux = null;
  return report;
}

function fanOutRecord(entry: HostEntry, distinct: number, threshold: number, window: number, customer: string | null): FanOut {
  const flux = entry.flux?.size ?? 0;
  const span = Math.max(1, Math.round(entry.windowLast - entry.windowFirst));
  const reasons = [
    `contacted about ${distinct} distinct external addresses in ${duration(span)} (threshold ${threshold} in ${duration(window)}; known CDN/cloud addresses, private space and DNS/NTP service ports not counted) in ${plural(entry.windowFlows, 'flow')}`,
  ];
  if (flux > 0) reasons.unshift(`${flux >= FLUX_CAP ? 'at least ' : ''}${plural(flux, 'address', 'addresses')} of flagged names or flux networks among them (${[...entry.flux!].slice(0, 3).join(', ')}${flux > 3 ? ', ...' : ''})`);
  return {
    record: 'fan-out',
    host: entry.host,
    customer,
    distinct,
    flux,
    window,
    first: isoTime(entry.windowFirst),
    last: isoTime(entry.windowLast),
    flows: entry.windowFlows,
    reasons,
  };
}
