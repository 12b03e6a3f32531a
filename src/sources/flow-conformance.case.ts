/**
 * The conformance and fuzz suite every FLOW input passes (the twin of
 * conformance.case.ts and binary-conformance.case.ts, which are typed on DNS
 * observations): NetFlow/IPFIX datagram files, pcap export traffic, Zeek
 * conn.log, Suricata eve flow/netflow, nfdump csv. A "unit" is what a
 * position counts: a line for text inputs, a datagram for NetFlow files.
 * A unit may give several flows (a datagram), a line gives one.
 *
 * Checked: sniffing (own input yes; foreign inputs, empty and random bytes
 * no), every flow sound (plausible times, ports, protocol, counts, sampling,
 * exporter and position filled), good units kept around bad ones in order,
 * chunk-split invariance (random cuts and byte by byte), random bytes and
 * mutations never throw and report within the input, truncation at every
 * offset keeps what came before, position() from 1; for text inputs also
 * CRLF, byte-order mark, missing final newline and the 1 MiB line cap.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FlowRecord } from '../model/flow.js';
import { isPlausibleTime, type SkippedRecord } from '../model/observation.js';
import type { SourceFormat } from './source.js';
import { splitAt } from './conformance.case.js';
import { OVERLONG_REASON } from './line-decoder.js';

export interface FlowSamples {
  /** A whole input holding `units` in order, and the offset where each unit ends. */
  container(units: readonly Uint8Array[]): { bytes: Buffer; ends: number[] };
  /** Position of the first unit (1, or the line after a header). */
  firstLine: number;
  /** Units that each give at least one flow and nothing else. Self-contained: a datagram carries its own templates. */
  good: readonly Uint8Array[];
  /** Units that each give exactly one skip and no flow. */
  bad: readonly Uint8Array[];
  /** Units with absurd values: outcomes only at their own position, never a throw. */
  absurd: readonly Uint8Array[];
  /** Inputs of other formats (DNS ones above all) the sniffer must not claim. */
  foreign: readonly Buffer[];
  /** Line-based input: adds the CRLF, BOM, last-line and 1 MiB line checks. */
  text?: boolean;
}

export type FlowOutcome =
  | { kind: 'flow'; line: number; flow: FlowRecord }
  | { kind: 'skip'; line: number; skipped: SkippedRecord }
  | { kind: 'observe'; line: number };

/** Decode `chunks`; flows are reported at decoder.position(), skips at their own position. */
export function decodeFlows(format: SourceFormat, chunks: readonly Buffer[], file = 'sample'): FlowOutcome[] {
  const outcomes: FlowOutcome[] = [];
  const decoder = format.createDecoder(file, {
    observe() {
      outcomes.push({ kind: 'observe', line: decoder.position() });
    },
    skip(skipped) {
      outcomes.push({ kind: 'skip', line: skipped.position.line, skipped });
    },
    flow(flow) {
      outcomes.push({ kind: 'flow', line: decoder.position(), flow });
    },
  });
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return outcomes;
}

/** The container of a line-based flow input: a header (possibly empty), then one unit per line. */
export function lineContainer(preamble: readonly string[]): FlowSamples['container'] {
  return (units) => {
    const head = preamble.map((line) => `${line}\n`).join('');
    const parts = [Buffer.from(head)];
    const ends: number[] = [];
    let at = parts[0]!.length;
    for (const unit of units) {
      const line = Buffer.concat([unit, Buffer.from('\n')]);
      parts.push(line);
      at += line.length;
      ends.push(at);
    }
    return { bytes: Buffer.concat(parts), ends };
  };
}

/** A flow that any consumer can rely on. */
export function expectSoundFlow(flow: FlowRecord): void {
  expect(isPlausibleTime(flow.start), `start ${flow.start}`).toBe(true);
  expect(isPlausibleTime(flow.end), `end ${flow.end}`).toBe(true);
  expect(flow.src.length).toBeGreaterThan(0);
  expect(flow.dst.length).toBeGreaterThan(0);
  for (const port of [flow.srcPort, flow.dstPort]) {
    expect(Number.isInteger(port) && port >= 0 && port <= 65535, `port ${port}`).toBe(true);
  }
  expect(Number.isInteger(flow.proto) && flow.proto >= 0 && flow.proto <= 255, `proto ${flow.proto}`).toBe(true);
  for (const count of [flow.bytes, flow.packets]) expect(Number.isFinite(count) && count >= 0, `count ${count}`).toBe(true);
  expect(flow.samplingRate).toBeGreaterThanOrEqual(1);
  expect(flow.exporter.length).toBeGreaterThan(0);
  expect(flow.position.length).toBeGreaterThan(0);
}

/** What an outcome says, without the position texts that change with where a unit sits. */
function shape(outcome: FlowOutcome): unknown {
  if (outcome.kind === 'flow') return { kind: 'flow', flow: { ...outcome.flow, position: undefined } };
  if (outcome.kind === 'skip') return { kind: 'skip', reason: outcome.skipped.reason };
  return { kind: 'observe' };
}

const RUNS = { numRuns: 200 };

export function runFlowConformance(format: SourceFormat, samples: FlowSamples): void {
  const input = (units: readonly Uint8Array[]) => samples.container(units).bytes;
  const first = samples.firstLine;
  const anyUnit = fc.constantFrom(...samples.good, ...samples.bad);

  describe(`${format.name}: flow conformance`, () => {
    it('sniffs its own input and not others', () => {
      expect(format.sniff(input(samples.good))).toBe(true);
      for (const foreign of samples.foreign) expect(format.sniff(foreign), foreign.subarray(0, 40).toString('latin1')).toBe(false);
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

    it('gives nothing for an empty input', () => {
      expect(decodeFlows(format, [])).toEqual([]);
      expect(decodeFlows(format, [Buffer.alloc(0)])).toEqual([]);
    });

    it('decodes every good unit to sound flows at its position, and nothing else', () => {
      for (const [i, unit] of samples.good.entries()) {
        const outcomes = decodeFlows(format, [input([unit])]);
        expect(outcomes.length, `good ${i}`).toBeGreaterThan(0);
        for (const outcome of outcomes) {
          expect([outcome.kind, outcome.line], `good ${i}`).toEqual(['flow', first]);
          if (outcome.kind === 'flow') expectSoundFlow(outcome.flow);
        }
      }
    });

    it('reports every bad unit as one skip with its position, format and a reason', () => {
      for (const [i, unit] of samples.bad.entries()) {
        const outcomes = decodeFlows(format, [input([unit])]);
        expect(outcomes, `bad ${i}`).toHaveLength(1);
        const outcome = outcomes[0]!;
        expect(outcome.kind, `bad ${i}`).toBe('skip');
        if (outcome.kind !== 'skip') continue;
        expect(outcome.skipped.position).toEqual({ file: 'sample', line: first });
        expect(outcome.skipped.format).toBe(format.name);
        expect(outcome.skipped.reason.length).toBeGreaterThan(0);
      }
    });

    it('gives absurd units outcomes at their own position only, every flow sound', () => {
      for (const [i, unit] of samples.absurd.entries()) {
        const outcomes = decodeFlows(format, [input([unit])]);
        expect(outcomes.length, `absurd ${i}`).toBeGreaterThan(0);
        for (const outcome of outcomes) {
          expect(outcome.line, `absurd ${i}`).toBe(first);
          if (outcome.kind === 'flow') expectSoundFlow(outcome.flow);
        }
      }
    });

    it('keeps good units around bad ones, each giving what it gives alone, in order', () => {
      fc.assert(
        fc.property(fc.array(anyUnit, { maxLength: 10 }), (units) => {
          const outcomes = decodeFlows(format, [input(units)]);
          const expected = units.flatMap((unit, i) =>
            decodeFlows(format, [input([unit])]).map((alone) => ({ ...alone, line: alone.line + i })),
          );
          expect(outcomes.map((o) => o.line)).toEqual(expected.map((o) => o.line));
          expect(outcomes.map(shape)).toEqual(expected.map(shape));
        }),
        RUNS,
      );
    });

    it('gives the same outcomes however the input is split into chunks', () => {
      fc.assert(
        fc.property(fc.array(anyUnit, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (units, cuts) => {
          const bytes = input(units);
          expect(decodeFlows(format, splitAt(bytes, cuts))).toEqual(decodeFlows(format, [bytes]));
        }),
        RUNS,
      );
    });

    it('gives the same outcomes byte by byte', () => {
      const bytes = input([...samples.good, ...samples.bad]);
      expect(decodeFlows(format, [...bytes].map((byte) => Buffer.from([byte])))).toEqual(decodeFlows(format, [bytes]));
    });

    it('never throws on random bytes, forced, and reports within the input', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) => {
          for (const outcome of decodeFlows(format, splitAt(Buffer.from(bytes), cuts))) checkOutcome(outcome, bytes.length);
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
          for (const outcome of decodeFlows(format, [bytes])) checkOutcome(outcome, bytes.length);
        }),
        { numRuns: 500 },
      );
    });

    it('keeps every unit before a truncation, at every offset', () => {
      const units = [...samples.good, ...samples.bad];
      const { bytes, ends } = samples.container(units);
      const whole = decodeFlows(format, [bytes]);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const complete = ends.filter((end) => end <= cut).length;
        const outcomes = decodeFlows(format, [bytes.subarray(0, cut)]);
        const before = (list: FlowOutcome[]) => list.filter((o) => o.line < first + complete);
        expect(before(outcomes), `cut at ${cut}`).toEqual(before(whole));
        // What the cut unit gives (what survives of it, and the report of the cut) is at its own position.
        for (const outcome of outcomes.slice(before(outcomes).length)) expect(outcome.line, `cut at ${cut}`).toBe(first + complete);
      }
    });

    it('counts position() from 1', () => {
      const decoder = format.createDecoder('sample', { observe() {}, skip() {}, flow() {} });
      expect(decoder.position()).toBe(1);
    });

    if (samples.text === true) {
      it('reads CRLF line ends, a byte-order mark and a missing final newline', () => {
        const text = input(samples.good).toString('utf8');
        const lf = decodeFlows(format, [Buffer.from(text)]);
        expect(decodeFlows(format, [Buffer.from(text.replace(/\n/g, '\r\n'))])).toEqual(lf);
        expect(decodeFlows(format, [Buffer.from(`\uFEFF${text}`)])).toEqual(lf);
        expect(decodeFlows(format, [Buffer.from(text.slice(0, -1))])).toEqual(lf);
      });

      it('skips a line longer than 1 MiB and reads the next one', () => {
        const huge = Buffer.from('x'.repeat((1 << 20) + 10));
        const bytes = input([huge, samples.good[0]!]);
        for (const chunks of [[bytes], splitAt(bytes, Array.from({ length: 40 }, (_, i) => i * 65536))]) {
          const outcomes = decodeFlows(format, chunks);
          expect(outcomes[0]).toMatchObject({ kind: 'skip', line: first });
          const head = outcomes[0]!;
          if (head.kind === 'skip') expect(head.skipped.reason).toBe(OVERLONG_REASON);
          expect(outcomes.slice(1).every((o) => o.kind === 'flow' && o.line === first + 1)).toBe(true);
          expect(outcomes.length).toBeGreaterThan(1);
        }
      });
    }
  });
}

function checkOutcome(outcome: FlowOutcome, length: number): void {
  expect(outcome.line).toBeGreaterThanOrEqual(1);
  expect(outcome.line).toBeLessThanOrEqual(length + 1);
  if (outcome.kind === 'skip') expect(outcome.skipped.reason).not.toBe('');
  if (outcome.kind === 'flow') expectSoundFlow(outcome.flow);
}
