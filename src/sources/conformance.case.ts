/**
 * The suite every text source passes (Hono's shared router suite, for inputs):
 * chunk-split invariance, one outcome per line at the right line number,
 * garbage and absurd values skipped without a throw, CRLF, BOM, a missing
 * final newline, the 1 MiB line cap. Each format's test calls runConformance
 * with lines of its own.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DnsObservation, SkippedRecord } from '../model/observation.js';
import type { SourceFormat } from './source.js';
import { OVERLONG_REASON } from './line-decoder.js';

export interface ConformanceSamples {
  /** Lines before any record (Zeek's header); empty for JSON-lines formats. */
  preamble: readonly string[];
  /** Lines that each decode to exactly one observation. */
  good: readonly string[];
  /** Lines that each decode to exactly one skip. */
  bad: readonly string[];
  /** Lines with absurd values (TTL -1, 1e300, NaN, year 9999, 10,000 answers): one outcome each, never a throw. */
  absurd: readonly string[];
  /** Inputs of other formats that the sniffer must not claim. */
  foreign: readonly string[];
}

export type Outcome =
  | { kind: 'observe'; line: number; observation: DnsObservation }
  | { kind: 'skip'; line: number; skipped: SkippedRecord };

/** Decode `chunks` and list what came out, each with the line it was reported at. */
export function decode(format: SourceFormat, chunks: readonly Buffer[], file = 'sample'): Outcome[] {
  const outcomes: Outcome[] = [];
  const decoder = format.createDecoder(file, {
    observe(observation) {
      outcomes.push({ kind: 'observe', line: decoder.position(), observation });
    },
    skip(skipped) {
      outcomes.push({ kind: 'skip', line: skipped.position.line, skipped });
    },
  });
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return outcomes;
}

export function decodeText(format: SourceFormat, text: string): Outcome[] {
  return decode(format, [Buffer.from(text)]);
}

export function observationsOf(outcomes: readonly Outcome[]): DnsObservation[] {
  return outcomes.flatMap((o) => (o.kind === 'observe' ? [o.observation] : []));
}

/** Skips as [line, reason]. */
export function skipsOf(outcomes: readonly Outcome[]): (readonly [number, string])[] {
  return outcomes.flatMap((o) => (o.kind === 'skip' ? [[o.line, o.skipped.reason] as const] : []));
}

/** `bytes` cut at the given offsets (any order, duplicates allowed). */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let previous = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(previous, point));
    previous = point;
  }
  chunks.push(bytes.subarray(previous));
  return chunks;
}

const RUNS = { numRuns: 200 };

export function runConformance(format: SourceFormat, samples: ConformanceSamples): void {
  const preamble = samples.preamble.map((line) => `${line}\n`).join('');
  const input = (lines: readonly string[]): string => preamble + lines.map((line) => `${line}\n`).join('');
  const firstLine = samples.preamble.length + 1;
  const small = (lines: readonly string[]) => lines.filter((line) => line.length < 4096);
  const anyLine = fc.constantFrom(...samples.good, ...samples.bad, ...small(samples.absurd));

  describe(`${format.name}: conformance`, () => {
    it('sniffs its own input and not others', () => {
      expect(format.sniff(Buffer.from(input(samples.good)))).toBe(true);
      for (const foreign of samples.foreign) expect(format.sniff(Buffer.from(foreign)), foreign.slice(0, 60)).toBe(false);
      expect(format.sniff(Buffer.alloc(0))).toBe(false);
    });

    it('never claims random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
          // A random prefix cannot make a valid header plus record of any format.
          expect(format.sniff(Buffer.from(bytes))).toBe(false);
        }),
        RUNS,
      );
    });

    it('gives nothing for an empty input', () => {
      expect(decode(format, [])).toEqual([]);
      expect(decode(format, [Buffer.alloc(0)])).toEqual([]);
    });

    it('decodes every good line to one observation at its line', () => {
      for (const line of samples.good) {
        const outcomes = decodeText(format, input([line]));
        expect(outcomes.map((o) => [o.kind, o.line]), line.slice(0, 80)).toEqual([['observe', firstLine]]);
      }
    });

    it('reports every bad line as one skip with its position, format and a reason', () => {
      for (const line of samples.bad) {
        const outcomes = decodeText(format, input([line]));
        expect(outcomes, line.slice(0, 80)).toHaveLength(1);
        const outcome = outcomes[0]!;
        expect(outcome.kind).toBe('skip');
        if (outcome.kind !== 'skip') continue;
        expect(outcome.skipped.position).toEqual({ file: 'sample', line: firstLine });
        expect(outcome.skipped.format).toBe(format.name);
        expect(outcome.skipped.reason.length).toBeGreaterThan(0);
      }
    });

    it('gives each absurd line exactly one outcome at its line', () => {
      for (const line of samples.absurd) {
        const outcomes = decodeText(format, input([line]));
        expect(outcomes.map((o) => o.line), line.slice(0, 80)).toEqual([firstLine]);
      }
    });

    it('keeps good lines around bad ones, one outcome per line, in order', () => {
      fc.assert(
        fc.property(fc.array(anyLine, { maxLength: 12 }), (lines) => {
          const outcomes = decodeText(format, input(lines));
          expect(outcomes.map((o) => o.line)).toEqual(lines.map((_, i) => firstLine + i));
          lines.forEach((line, i) => {
            const alone = decodeText(format, input([line]))[0]!;
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
        fc.property(fc.array(anyLine, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (lines, cuts) => {
          const bytes = Buffer.from(input(lines));
          expect(decode(format, splitAt(bytes, cuts))).toEqual(decode(format, [bytes]));
        }),
        RUNS,
      );
    });

    it('gives the same outcomes byte by byte', () => {
      const bytes = Buffer.from(input([...samples.good, ...samples.bad]));
      const single = [...bytes].map((byte) => Buffer.from([byte]));
      expect(decode(format, single)).toEqual(decode(format, [bytes]));
    });

    it('reads CRLF line ends, a byte-order mark and a missing final newline', () => {
      const lf = decodeText(format, input(samples.good));
      expect(decodeText(format, input(samples.good).replace(/\n/g, '\r\n'))).toEqual(lf);
      expect(decodeText(format, `\uFEFF${input(samples.good)}`)).toEqual(lf);
      expect(decodeText(format, input(samples.good).slice(0, -1))).toEqual(lf);
    });

    it('skips a line longer than 1 MiB and reads the next one', () => {
      const huge = 'x'.repeat((1 << 20) + 10);
      const good = samples.good[0]!;
      const bytes = Buffer.from(input([huge, good]));
      for (const chunks of [[bytes], splitAt(bytes, Array.from({ length: 40 }, (_, i) => i * 65536))]) {
        const outcomes = decode(format, chunks);
        expect(outcomes.map((o) => [o.kind, o.line])).toEqual([
          ['skip', firstLine],
          ['observe', firstLine + 1],
        ]);
        const first = outcomes[0]!;
        if (first.kind === 'skip') expect(first.skipped.reason).toBe(OVERLONG_REASON);
      }
    });

    it('never throws on random bytes, and reports within the input', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) => {
          const buffer = Buffer.from(bytes);
          const lines = buffer.toString('latin1').split('\n').length;
          for (const outcome of decode(format, splitAt(buffer, cuts))) {
            expect(outcome.line).toBeGreaterThanOrEqual(1);
            expect(outcome.line).toBeLessThanOrEqual(lines);
            if (outcome.kind === 'skip') expect(outcome.skipped.reason).not.toBe('');
          }
        }),
        RUNS,
      );
    });

    it('never throws on a truncated input and keeps the lines before the cut', () => {
      const bytes = Buffer.from(input([...samples.good, ...samples.bad, ...small(samples.absurd)]));
      const whole = decode(format, [bytes]);
      fc.assert(
        fc.property(fc.nat({ max: bytes.length }), (cut) => {
          const truncated = bytes.subarray(0, cut);
          const complete = truncated.toString('latin1').split('\n').length - 1;
          const outcomes = decode(format, [truncated]);
          const before = (list: Outcome[]) => list.filter((o) => o.line <= complete);
          expect(before(outcomes)).toEqual(before(whole));
        }),
        RUNS,
      );
    });

    it('counts position() from 1', () => {
      const decoder = format.createDecoder('sample', { observe() {}, skip() {} });
      expect(decoder.position()).toBe(1);
    });
  });
}
