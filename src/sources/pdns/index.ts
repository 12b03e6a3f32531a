/** Passive-DNS tuples in the Common Output Format, as JSON lines. */
import type { SourceFormat } from '../source.js';
import { sniffJsonLines } from '../line-decoder.js';
import { PdnsDecoder, looksLikePdns } from './decoder.js';

export const pdnsFormat: SourceFormat = {
  name: 'pdns',
  description: 'passive DNS, Common Output Format JSON lines (CIRCL, DNSDB)',
  sniff: (head) => sniffJsonLines(head, looksLikePdns),
  createDecoder: (file, sink) => new PdnsDecoder(file, sink),
  flows: false,
};
