/**
 * Export sequence numbers, to count what was lost between the exporter and
 * us (a full socket buffer, a lossy link). Each version counts differently:
 *
 * - NetFlow v5 `flow_sequence`: flows exported before this datagram, so the
 *   next one carries this one plus its record count (unit: records);
 * - NetFlow v9 `package sequence` (RFC 3954 §5.1): export packets sent by the
 *   source id, so the next carries this one plus 1 (unit: datagrams);
 * - IPFIX `sequence number` (RFC 7011 §3.1): data records sent in the
 *   observation domain before this message (unit: records). A message with a
 *   data set we could not read (no template) has an unknown record count, so
 *   the next message starts a new count instead of guessing a gap.
 *
 * All are modulo 2^32. A number ahead of the expected one by up to MAX_GAP is
 * a gap of that many; anything else (behind: an exporter restarted or a
 * datagram came out of order; far ahead: a restart with a new start value)
 * is a reset: counted, and the count starts again from it, as nfcapd does.
 */

/** Ahead by more than this (records or datagrams) is a restart, not a loss: 4 Mi records is over 40 s of a 100k flows/s exporter. */
export const MAX_GAP = 1 << 22;

/** Observation domains (v9 source ids, v5 engines) tracked per exporter; more are not tracked (counted as untracked). */
export const MAX_STREAMS = 64;

export interface ExportHeader {
  version: 5 | 9 | 10;
  /** v5: engine type << 8 | engine id; v9: source id; IPFIX: observation domain. */
  domain: number;
  sequence: number;
  /** v5 and v9: the header's record count (v9: template, options and data records together); 0 for IPFIX. */
  count: number;
}

/** The header fields sequence tracking needs, or null when the datagram is too short or not v5/v9/IPFIX. */
export function exportHeader(b: Uint8Array): ExportHeader | null {
  if (b.length < 16) return null;
  const version = (b[0]! << 8) | b[1]!;
  const u32 = (at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  if (version === 5 && b.length >= 24) return { version, domain: (b[20]! << 8) | b[21]!, sequence: u32(16), count: (b[2]! << 8) | b[3]! };
  if (version === 9 && b.length >= 20) return { version, domain: u32(16), sequence: u32(12), count: (b[2]! << 8) | b[3]! };
  if (version === 10) return { version, domain: u32(12), sequence: u32(8), count: 0 };
  return null;
}

export type SequenceEvent =
  | { kind: 'first' }
  | { kind: 'in_order' }
  | { kind: 'gap'; lost: number }
  | { kind: 'reset' }
  | { kind: 'untracked' };

/** The sequence state of one exporter's observation domains. */
export class SequenceTracker {
  /** domain → the sequence number the next datagram should carry, or -1 when unknown (resynchronise on it). */
  private readonly next = new Map<number, number>();

  /**
   * One datagram's header; `advance` is how far it moves the count (records
   * or 1), or null when unknown (IPFIX data lost for want of a template).
   */
  observe(header: ExportHeader, advance: number | null): SequenceEvent {
    const expected = this.next.get(header.domain);
    if (expected === undefined && this.next.size >= MAX_STREAMS) return { kind: 'untracked' };
    this.next.set(header.domain, advance === null ? -1 : (header.sequence + advance) >>> 0);
    if (expected === undefined) return { kind: 'first' };
    if (expected < 0) return { kind: 'in_order' };
    const ahead = (header.sequence - expected) >>> 0;
    if (ahead === 0) return { kind: 'in_order' };
    if (ahead <= MAX_GAP) return { kind: 'gap', lost: ahead };
    return { kind: 'reset' };
  }
}

/** How far a decoded datagram moves its exporter's sequence number (see above). */
export function sequenceAdvance(header: ExportHeader, dataRecords: number, lostNoTemplate: number): number | null {
  if (header.version === 5) return header.count;
  if (header.version === 9) return 1;
  return lostNoTemplate > 0 ? null : dataRecords;
}
