/**
 * The streaming form of the flow parsers, for the reader that will feed them
 * files and stdin chunk by chunk (readInputs, serve --follow): the same
 * FlowLineParser, pushed chunks synchronously, records and skips to a sink.
 */
import type { FlowRecord, SkippedFlow } from '../../model/flow.js';
import { implausibleTime, isPlausibleTime } from '../../model/observation.js';
import { LineSplitter } from '../lines.js';
import { OVERLONG_REASON } from '../line-decoder.js';
import type { Decoder } from '../source.js';
import type { FlowLineParser } from './frame.js';

export interface FlowSink {
  flow(record: FlowRecord): void;
  skip(skipped: SkippedFlow): void;
}

export class FlowLineDecoder implements Decoder {
  private readonly splitter: LineSplitter;

  constructor(file: string, parser: FlowLineParser, sink: FlowSink) {
    this.splitter = new LineSplitter({
      line(text, start, end, lineNumber) {
        const position = `${file}:${lineNumber}`;
        const result = parser.line(text.slice(start, end), position);
        if (result === null) return;
        if (typeof result === 'string') sink.skip({ position, reason: result });
        // The same 1987..2106 rule as DNS observations, so a flow and a lookup are joined on the same clock.
        else if (!isPlausibleTime(result.start)) sink.skip({ position, reason: implausibleTime(result.start) });
        else if (!isPlausibleTime(result.end)) sink.skip({ position, reason: implausibleTime(result.end) });
        else sink.flow(result);
      },
      overlong(lineNumber) {
        sink.skip({ position: `${file}:${lineNumber}`, reason: OVERLONG_REASON });
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
