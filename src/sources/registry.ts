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
import { flowFormats } from './flows/index.js';

// Flow logs after the DNS text formats: the sniffers of each kind refuse the other's logs (flows/formats.test.ts).
export const sourceFormats: readonly SourceFormat[] = [dnstapFormat, pcapFormat, netflowFormat, ...textFormats, ...flowFormats];

export function formatNames(): string[] {
  return sourceFormats.map((f) => f.name);
}
