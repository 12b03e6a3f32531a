/**
 * What the JSON feed readers (STIX, MISP, MISP warninglists) share: the size
 * cap checked before parsing, a parse error turned into one skip with V8's
 * position, and the object test that keeps arrays and null out.
 */
import type { IntelSkip } from './entry.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The parsed document, or undefined with one skip saying why: text longer
 * than maxChars (refused unread) or not JSON. V8's message names the offset
 * ("at position N"); a nesting bomb is a RangeError, caught here too.
 */
export function readJson(text: string, source: string, maxChars: number, what: string, skipped: IntelSkip[]): unknown {
  if (text.length > maxChars) {
    skipped.push({ position: source, reason: `${what} larger than ${maxChars} characters` });
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    skipped.push({ position: source, reason: `not JSON: ${(e as Error).message.slice(0, 200)}` });
    return undefined;
  }
}
