/**
 * The flow-log input formats (issue 16), in sniff order, registered beside
 * the DNS text formats in ../registry.ts. Each is an ordinary SourceFormat
 * whose decoder hands flows to `sink.flow`, so `fluxhound analyze dns.log
 * conn.log` reads both. Suricata's flow and netflow events have no format
 * of their own: a real eve.json mixes them with dns events, so the one
 * `eve` reader (../eve) takes both kinds from the same file.
 */
import type { SourceFormat } from '../source.js';
import { FlowLineDecoder } from './decoder.js';
import { nfdumpCsvParser, sniffNfdumpCsv } from './nfdump-csv.js';
import { sniffZeekConnJson, sniffZeekConnTsv, zeekConnJsonParser, zeekConnTsvParser } from './zeek-conn.js';

export const zeekConnFormat: SourceFormat = {
  name: 'zeek-conn',
  description: 'Zeek conn.log, tab-separated with #fields header (flows)',
  sniff: sniffZeekConnTsv,
  createDecoder: (file, sink) => new FlowLineDecoder('zeek-conn', file, zeekConnTsvParser(file), sink),
};

export const zeekConnJsonFormat: SourceFormat = {
  name: 'zeek-conn-json',
  description: 'Zeek conn.log as JSON lines (flows)',
  sniff: sniffZeekConnJson,
  createDecoder: (file, sink) => new FlowLineDecoder('zeek-conn-json', file, zeekConnJsonParser(file), sink),
};

export const nfdumpCsvFormat: SourceFormat = {
  name: 'nfdump-csv',
  description: 'nfdump -o csv output, times in UTC (TZ=UTC nfdump -r FILE -o csv) (flows)',
  sniff: sniffNfdumpCsv,
  createDecoder: (file, sink) => new FlowLineDecoder('nfdump-csv', file, nfdumpCsvParser(file), sink),
};

export const flowFormats: readonly SourceFormat[] = [zeekConnFormat, zeekConnJsonFormat, nfdumpCsvFormat];
