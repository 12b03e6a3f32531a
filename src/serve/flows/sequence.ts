/**
 * Export sequence numbers, to count what was lost between the exporter and
 * us (a full socket buffer, a lossy link). Each version counts differently:
 *
 * - NetFlow v5 `flow_sequence`: flows exported before this datagram, so the
 *   next one carries this one plus its record count (unit: records);
 * - NetFlow v9 `package sequence` (RFC 3954 §5.1): export packets sent by the
 *   source id, so the next carries this one plus 1 (unit: datagrams);
 * - IPFIX `sequence number` (RFC 7011 §3.1): data records sent in the
 *   observation domain before this message (unit: records); softflowd counts
 *   this message's too (observe() learns which). A message with a data set
 *   we could not read (no template) has an unknown record count, so the next
 *   message starts a new count instead of guessing a gap.
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

interface StreamState {
  sequence: number;
  /** Records (or 1 datagram) the last message carried; -1 when unknown. */
  records: number;
  /** The exporter counts the message's own records in its sequence number (see observe). */
  inclusive: boolean;
}

/** The sequence state of one exporter's observation domains. */
export class SequenceTracker {
  private readonly streams = new Map<number, StreamState>();

  /**
   * One datagram's header and how many records (v9: 1 datagram) it carries,
   * or null when unknown (IPFIX data lost for want of a template).
   *
   * RFC 7011 and the v5 header number a message by the records sent BEFORE
   * it: next = this + this message's records. softflowd's IPFIX (measured:
   * 24, 56, 88 for messages of 24, 32, 32 flows) numbers it by the records
   * sent up to and INCLUDING it: next = this + the next message's records.
   * A stream that matches the second and not the first is taken to count
   * that way from then on, so a real exporter in use shows no false loss.
   */
  observe(header: ExportHeader, records: number | null): SequenceEvent {
    const previous = this.streams.get(header.domain);
    if (previous === undefined) {
      if (this.streams.size >= MAX_STREAMS) return { kind: 'untracked' };
      this.streams.set(header.domain, { sequence: header.sequence, records: records ?? -1, inclusive: false });
      return { kind: 'first' };
    }
    const before = previous.records < 0 ? null : (previous.sequence + previous.records) >>> 0;
    const including = records === null ? null : (previous.sequence + records) >>> 0;
    previous.sequence = header.sequence;
    previous.records = records ?? -1;
    if (!previous.inclusive && before !== header.sequence && including === header.sequence && header.version !== 9) previous.inclusive = true;
    const expected = previous.inclusive ? including : before;
    // Unknown (a message whose records could not be counted): count again from this one.
    if (expected === null) return { kind: 'in_order' };
    const ahead = (header.sequence - expected) >>> 0;
    if (ahead === 0) return { kind: 'in_order' };
    if (ahead <= MAX_GAP) return { kind: 'gap', lost: ahead };
    return { kind: 'reset' };
  }
}

/** What a decoded datagram counts for in its exporter's sequence number: records (v5, IPFIX), 1 (v9), null when unknown. */
export function sequenceRecords(header: ExportHeader, dataRecords: number, lostNoTemplate: number): number | null {
  if (header.version === 5) return header.count;
  if (header.version === 9) return 1;
  return lostNoTemplate > 0 ? null : dataRecords;
}
