/**
 * The one ordered list of input formats, read by `analyze`, `serve --follow`
 * and the format flags. Adding an input is one folder under sources/ and one
 * line here; auto-detection tries formats in this order, most specific first.
 */
import type { SourceFormat } from './source.js';
import { textFormats } from './index.js';
import { dnstapFormat } from './dnstap/index.js';
import { pcapFormat } from './pcap/index.js';
import { netflowFormat } from './netflow/index.js';

export const sourceFormats: readonly SourceFormat[] = [dnstapFormat, pcapFormat, netflowFormat, ...textFormats];

export function formatNames(): string[] {
  return sourceFormats.map((f) => f.name);
}
