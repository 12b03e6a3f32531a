/**
 * The streaming form of the flow parsers, as a sources Decoder (readInputs,
 * serve --follow): chunks pushed synchronously through the shared
 * LineSplitter, each line to the format's FlowLineParser, flows to
 * `sink.flow` and bad lines to `sink.skip` with the format and line. A sink
 * without `flow` (one that reads DNS only) gets the skips and no flows.
 */
import type { FlowRecord } from '../../model/flow.js';
import { implausibleTime, isPlausibleTime } from '../../model/observation.js';
import { LineSplitter } from '../lines.js';
import { OVERLONG_REASON } from '../line-decoder.js';
import type { Decoder, ObservationSink } from '../source.js';
import type { FlowLineParser } from './frame.js';

/** Why a parsed flow cannot be used, or null: the same 1987..2106 rule as DNS, so flows and lookups share one clock. */
export function flowTimeProblem(flow: FlowRecord): string | null {
  if (!isPlausibleTime(flow.start)) return implausibleTime(flow.start);
  if (!isPlausibleTime(flow.end)) return implausibleTime(flow.end);
  return null;
}

export class FlowLineDecoder implements Decoder {
  private readonly splitter: LineSplitter;

  constructor(format: string, file: string, parser: FlowLineParser, sink: ObservationSink) {
    const skip = (line: number, reason: string): void => sink.skip({ position: { file, line }, format, reason, flow: true });
    this.splitter = new LineSplitter({
      line(text, start, end, lineNumber) {
        const result = parser.line(text.slice(start, end), `${file}:${lineNumber}`);
        if (result === null) return;
        if (typeof result === 'string') return skip(lineNumber, result);
        const problem = flowTimeProblem(result);
        if (problem !== null) skip(lineNumber, problem);
        else sink.flow?.(result);
      },
      overlong(lineNumber) {
        skip(lineNumber, OVERLONG_REASON);
      },
    });
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
  }

  position(): number {
    return this.splitter.position();
  }
}
