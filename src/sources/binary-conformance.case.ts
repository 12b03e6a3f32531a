/**
 * The conformance suite of conformance.case.ts, for binary inputs whose
 * records are framed packets rather than lines: sniffing, one outcome per
 * record at its number, good records kept around bad ones, chunk-split
 * invariance (random cuts and byte by byte), random bytes and garbage after
 * a valid header never throw, and every truncation keeps the records before
 * the cut. Any record-framed binary format can call it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SourceFormat } from './source.js';
import { decode, splitAt, type Outcome } from './conformance.case.js';

export interface BinarySamples {
  /** A whole input holding `records` in order (all with the same time), and the offset where each record ends. */
  container(records: readonly Uint8Array[]): { bytes: Buffer; ends: number[] };
  /** Records that each give exactly one observation. */
  good: readonly Uint8Array[];
  /** Records that each give exactly one skip. */
  bad: readonly Uint8Array[];
  /** Records with absurd values: one outcome each, alone, never a throw. */
  absurd: readonly Uint8Array[];
  /** Inputs of other formats the sniffer must not claim. */
  foreign: readonly Buffer[];
}

const RUNS = { numRuns: 200 };

export function runBinaryConformance(format: SourceFormat, samples: BinarySamples): void {
  const input = (records: readonly Uint8Array[]) => samples.container(records).bytes;
  const anyRecord = fc.constantFrom(...samples.good, ...samples.bad);

  describe(`${format.name}: binary conformance`, () => {
    it('sniffs its own input and not others', () => {
      expect(format.sniff(input(samples.good))).toBe(true);
      for (const foreign of samples.foreign) expect(format.sniff(foreign)).toBe(false);
      expect(format.sniff(Buffer.alloc(0))).toBe(false);
    });

    it('never claims random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
          expect(format.sniff(Buffer.from(bytes))).toBe(false);
        }),
        RUNS,
      );
    });

    it('gives nothing for an empty input or a container without records', () => {
      expect(decode(format, [])).toEqual([]);
      expect(decode(format, [Buffer.alloc(0)])).toEqual([]);
      expect(decode(format, [input([])])).toEqual([]);
    });

    it('decodes every good record to one observation at its number', () => {
      for (const [i, record] of samples.good.entries()) {
        expect(decode(format, [input([record])]).map((o) => [o.kind, o.line]), `good ${i}`).toEqual([['observe', 1]]);
      }
    });

    it('reports every bad record as one skip with its position, format and a reason', () => {
      for (const [i, record] of samples.bad.entries()) {
        const outcomes = decode(format, [input([record])]);
        expect(outcomes, `bad ${i}`).toHaveLength(1);
        const outcome = outcomes[0]!;
        expect(outcome.kind, `bad ${i}`).toBe('skip');
        if (outcome.kind !== 'skip') continue;
        expect(outcome.skipped.position).toEqual({ file: 'sample', line: 1 });
        expect(outcome.skipped.format).toBe(format.name);
        expect(outcome.skipped.reason.length).toBeGreaterThan(0);
      }
    });

    it('gives each absurd record exactly one outcome at its number', () => {
      for (const [i, record] of samples.absurd.entries()) {
        expect(decode(format, [input([record])]).map((o) => o.line), `absurd ${i}`).toEqual([1]);
      }
    });

    it('keeps good records around bad ones, one outcome per record, in order', () => {
      fc.assert(
        fc.property(fc.array(anyRecord, { maxLength: 12 }), (records) => {
          const outcomes = decode(format, [input(records)]);
          expect(outcomes.map((o) => o.line)).toEqual(records.map((_, i) => i + 1));
          records.forEach((record, i) => {
            const alone = decode(format, [input([record])])[0]!;
            const outcome = outcomes[i]!;
            expect(outcome.kind).toBe(alone.kind);
            if (outcome.kind === 'observe' && alone.kind === 'observe') expect(outcome.observation).toEqual(alone.observation);
            if (outcome.kind === 'skip' && alone.kind === 'skip') expect(outcome.skipped.reason).toBe(alone.skipped.reason);
          });
        }),
        RUNS,
      );
    });

    it('gives the same outcomes however the input is split into chunks', () => {
      fc.assert(
        fc.property(fc.array(anyRecord, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (records, cuts) => {
          const bytes = input(records);
          expect(decode(format, splitAt(bytes, cuts))).toEqual(decode(format, [bytes]));
        }),
        RUNS,
      );
    });

    it('gives the same outcomes byte by byte', () => {
      const bytes = input([...samples.good, ...samples.bad]);
      expect(decode(format, [...bytes].map((byte) => Buffer.from([byte])))).toEqual(decode(format, [bytes]));
    });

    it('never throws on random bytes, forced, and reports within the input', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) => {
          for (const outcome of decode(format, splitAt(Buffer.from(bytes), cuts))) checkOutcome(outcome, bytes.length);
        }),
        RUNS,
      );
    });

    it('never throws on garbage after a valid header', () => {
      const header = input([]);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (garbage) => {
          const bytes = Buffer.concat([header, garbage]);
          for (const outcome of decode(format, [bytes])) checkOutcome(outcome, bytes.length);
        }),
        RUNS,
      );
    });

    it('never throws on mutated input, whatever the mutation', () => {
      const whole = input([...samples.good, ...samples.bad]);
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 16 }), (mutations) => {
          const bytes = Buffer.from(whole);
          for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          for (const outcome of decode(format, [bytes])) checkOutcome(outcome, bytes.length);
        }),
        { numRuns: 500 },
      );
    });

    it('keeps every record before a truncation, at every offset', () => {
      const records = [...samples.good, ...samples.bad];
      const { bytes, ends } = samples.container(records);
      const whole = decode(format, [bytes]);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const complete = ends.filter((end) => end <= cut).length;
        const outcomes = decode(format, [bytes.subarray(0, cut)]);
        const before = (list: Outcome[]) => list.filter((o) => o.line <= complete);
        expect(before(outcomes), `cut at ${cut}`).toEqual(before(whole));
        // At most one report about the damage, after the complete records.
        expect(outcomes.length - before(outcomes).length, `cut at ${cut}`).toBeLessThanOrEqual(1);
      }
    });

    it('counts position() from 1', () => {
      const decoder = format.createDecoder('sample', { observe() {}, skip() {} });
      expect(decoder.position()).toBe(1);
    });
  });
}

function checkOutcome(outcome: Outcome, length: number): void {
  expect(outcome.line).toBeGreaterThanOrEqual(1);
  expect(outcome.line).toBeLessThanOrEqual(length + 1);
  if (outcome.kind === 'skip') expect(outcome.skipped.reason).not.toBe('');
}
