/**
 * The one ordered list of inputs (and, as they arrive, outputs). Adding an
 * input is one folder under sources/ and one line here; auto-detection tries
 * formats in this order, most specific first.
 */
import type { SourceFormat } from './sources/source.js';
import { textFormats } from './sources/index.js';
import type { ServiceFactory } from './serve/service.js';
import { followService } from './serve/follow/index.js';

export const sourceFormats: readonly SourceFormat[] = [...textFormats];

export function formatNames(): string[] {
  return sourceFormats.map((f) => f.name);
}

/**
 * The parts of `fluxhound serve`, in start order (stopped in reverse): each
 * adds its flags and starts only when they are given.
 */
export const serviceFactories: readonly ServiceFactory[] = [
  followService(() => sourceFormats),
];
