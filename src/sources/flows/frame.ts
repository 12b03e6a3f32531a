/**
 * The frame the flow-log parsers share: text in, FlowRecord[] and skips out,
 * through the same LineSplitter every DNS text source uses (1 MiB line cap,
 * \r\n, BOM, last line without newline). Pure: no I/O. The streaming form is
 * FlowLineDecoder (decoder.ts); this collects its output.
 */
import type { FlowRecord, SkippedFlow } from '../../model/flow.js';
import { FlowLineDecoder } from './decoder.js';

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
  const decoder = new FlowLineDecoder('flows', file, parser, {
    observe: () => undefined,
    flow: (record) => out.records.push(record),
    skip: (skipped) => out.skipped.push({ position: `${skipped.position.file}:${skipped.position.line}`, reason: skipped.reason }),
  });
  decoder.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  decoder.end();
  return out;
}
