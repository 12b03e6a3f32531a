/**
 * The text input formats, in sniff order: each sniffer is tried in turn on
 * the first 64 KiB of an input and the first that recognises it wins. Their
 * tests are disjoint, but the most specific comes first all the same.
 */
import type { SourceFormat } from './source.js';
import { eveFormat } from './eve/index.js';
import { pdnsFormat } from './pdns/index.js';
import { zeekFormat, zeekJsonFormat } from './zeek/index.js';

export const textFormats: readonly SourceFormat[] = [zeekFormat, zeekJsonFormat, eveFormat, pdnsFormat];

export { InputError, readInputs } from './input.js';
export type { InputSummary, ReadOptions } from './input.js';
