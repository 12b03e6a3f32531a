/** Zeek dns.log, as TSV (`zeek`) and as JSON lines (`zeek-json`). */
import type { SourceFormat } from '../source.js';
import { sniffJsonLines } from '../line-decoder.js';
import { ZeekJsonDecoder, looksLikeZeekJson } from './json.js';
import { ZeekTsvDecoder } from './tsv.js';

export const zeekFormat: SourceFormat = {
  name: 'zeek',
  description: 'Zeek dns.log, tab-separated with #fields header (Zeek ASCII log)',
  sniff(head: Buffer): boolean {
    const text = head.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '');
    if (!text.startsWith('#separator')) return false;
    // A Zeek log, but is it DNS? `#path dns`, or a #fields line with the DNS columns.
    return /^#path\s+dns\s*$/m.test(text) || /^#fields\s.*\bquery\b.*\bqtype/m.test(text);
  },
  createDecoder: (file, sink) => new ZeekTsvDecoder(file, sink),
  flows: false,
};

export const zeekJsonFormat: SourceFormat = {
  name: 'zeek-json',
  description: 'Zeek dns.log as JSON lines (LogAscii::use_json=T)',
  sniff: (head) => sniffJsonLines(head, looksLikeZeekJson),
  createDecoder: (file, sink) => new ZeekJsonDecoder(file, sink),
  flows: false,
};
