/**
 * The one ordered list of inputs (and, as they arrive, outputs). Adding an
 * input is one folder under sources/ and one line here; auto-detection tries
 * formats in this order, most specific first.
 */
import type { SourceFormat } from './sources/source.js';
import { textFormats } from './sources/index.js';

export const sourceFormats: readonly SourceFormat[] = [...textFormats];

export function formatNames(): string[] {
  return sourceFormats.map((f) => f.name);
}
