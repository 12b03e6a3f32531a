/**
 * The frame the flow-log parsers share: text in, FlowRecord[] and skips out,
 * through the same LineSplitter every DNS text source uses (1 MiB line cap,
 * \r\n, BOM, last line without newline). Pure: no I/O, no sink.
 */
import type { FlowRecord, SkippedFlow } from '../../model/flow.js';
import { implausibleTime, isPlausibleTime } from '../../model/observation.js';
import { LineSplitter } from '../lines.js';
import { OVERLONG_REASON } from '../line-decoder.js';

export interface FlowParse {
  records: FlowRecord[];
  skipped: SkippedFlow[];
}

/** What a per-format parser does with one line: a record, a reason to skip, or null to ignore it (headers, blanks). */
export type FlowLineResult = FlowRecord | string | null;

export interface FlowLineParser {
  line(text: string, position: string): FlowLineResult;
}

/** Runs `parser` over every line of `input`; `file` names positions ('conn.log:12') and the exporter. */
export function parseFlowLines(input: string | Buffer, file: string, parser: FlowLineParser): FlowParse {
  const out: FlowParse = { records: [], skipped: [] };
  const splitter = new LineSplitter({
    line(text, start, end, lineNumber) {
      const position = `${file}:${lineNumber}`;
      const result = parser.line(text.slice(start, end), position);
      if (result === null) return;
      if (typeof result === 'string') out.skipped.push({ position, reason: result });
      // The same 1987..2106 rule as DNS observations, so a flow and a lookup are joined on the same clock.
      else if (!isPlausibleTime(result.start)) out.skipped.push({ position, reason: implausibleTime(result.start) });
      else if (!isPlausibleTime(result.end)) out.skipped.push({ position, reason: implausibleTime(result.end) });
      else out.records.push(result);
    },
    overlong(lineNumber) {
      out.skipped.push({ position: `${file}:${lineNumber}`, reason: OVERLONG_REASON });
    },
  });
  splitter.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  splitter.end();
  return out;
}
