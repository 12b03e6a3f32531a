import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportHeader, MAX_GAP, MAX_STREAMS, SequenceTracker, sequenceRecords, type ExportHeader } from './sequence.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'flows');

const v9 = (sequence: number, domain = 0): ExportHeader => ({ version: 9, domain, sequence, count: 0 });
const ipfix = (sequence: number): ExportHeader => ({ version: 10, domain: 0, sequence, count: 0 });

describe('exportHeader', () => {
  it('reads the sequence and domain of real v5, v9 and IPFIX datagrams', () => {
    const v5 = exportHeader(readFileSync(join(FIXTURES, 'netflow5.dat')))!;
    expect(v5.version).toBe(5);
    expect(v5.count).toBeGreaterThan(0);
    const asa = exportHeader(readFileSync(join(FIXTURES, 'netflow9_test_cisco_asa_1_tpl.dat')))!;
    expect(asa.version).toBe(9);
    const pflow = exportHeader(readFileSync(join(FIXTURES, 'ipfix_test_openbsd_pflow_tpl.dat')))!;
    expect(pflow.version).toBe(10);
  });

  it('is null for short or unknown datagrams', () => {
    expect(exportHeader(new Uint8Array(10))).toBeNull();
    expect(exportHeader(new Uint8Array(24).fill(7))).toBeNull();
    const shortV9 = new Uint8Array(18);
    shortV9[1] = 9;
    expect(exportHeader(shortV9)).toBeNull();
  });
});

describe('SequenceTracker', () => {
  const table: [string, [number, number | null][], string[]][] = [
    ['in order', [[10, 1], [11, 1], [12, 1]], ['first', 'in_order', 'in_order']],
    ['one datagram lost', [[10, 1], [12, 1]], ['first', 'gap:1']],
    ['wrap at 2^32 in order', [[0xffffffff, 1], [0, 1]], ['first', 'in_order']],
    ['wrap at 2^32 with loss', [[0xfffffffe, 1], [2, 1]], ['first', 'gap:3']],
    ['records: v5/IPFIX advance by the record count', [[100, 30], [130, 30], [190, 30]], ['first', 'in_order', 'gap:30']],
    ['restart to zero (behind): reset, then counted from there', [[5000, 1], [0, 1], [1, 1]], ['first', 'reset', 'in_order']],
    ['far ahead: a restart, not a loss', [[10, 1], [10 + MAX_GAP + 2, 1]], ['first', 'reset']],
    ['unknown records: the next resynchronises', [[10, null], [99, 1], [101, 1]], ['first', 'in_order', 'gap:1']],
    ['RFC 7011: records sent before the message, message sizes vary', [[0, 10], [10, 20], [30, 5], [35, 7], [50, 1]], ['first', 'in_order', 'in_order', 'in_order', 'gap:8']],
    // softflowd IPFIX (measured): the number includes the message's own records; its first message adds an options record it does not count.
    ['softflowd: sequence includes the message itself', [[24, 25], [56, 32], [88, 32], [500, 28]], ['first', 'in_order', 'in_order', 'gap:384']],
    ['softflowd: one message of 32 lost', [[24, 25], [56, 32], [120, 32], [152, 32]], ['first', 'in_order', 'gap:32', 'in_order']],
  ];
  for (const [name, steps, expected] of table) {
    it(name, () => {
      const tracker = new SequenceTracker();
      const seen = steps.map(([seq, records]) => {
        const e = tracker.observe(records === 1 ? v9(seq) : ipfix(seq), records);
        return e.kind === 'gap' ? `gap:${e.lost}` : e.kind;
      });
      expect(seen).toEqual(expected);
    });
  }

  it('keeps one count per observation domain', () => {
    const tracker = new SequenceTracker();
    expect(tracker.observe(v9(1, 1), 1).kind).toBe('first');
    expect(tracker.observe(v9(500, 2), 1).kind).toBe('first');
    expect(tracker.observe(v9(2, 1), 1).kind).toBe('in_order');
    expect(tracker.observe(v9(501, 2), 1).kind).toBe('in_order');
  });

  it('tracks at most MAX_STREAMS domains per exporter', () => {
    const tracker = new SequenceTracker();
    for (let d = 0; d < MAX_STREAMS; d++) tracker.observe(v9(0, d), 1);
    expect(tracker.observe(v9(0, MAX_STREAMS), 1).kind).toBe('untracked');
    expect(tracker.observe(v9(1, 0), 1).kind).toBe('in_order');
  });

  it('sequenceRecords: v5 header count, v9 one, IPFIX data records or unknown', () => {
    expect(sequenceRecords({ version: 5, domain: 0, sequence: 0, count: 29 }, 29, 0)).toBe(29);
    expect(sequenceRecords(v9(0), 14, 0)).toBe(1);
    expect(sequenceRecords({ version: 10, domain: 0, sequence: 0, count: 0 }, 7, 0)).toBe(7);
    expect(sequenceRecords({ version: 10, domain: 0, sequence: 0, count: 0 }, 7, 1)).toBeNull();
  });
});
