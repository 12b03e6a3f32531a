/**
 * The 'list' feed kind: one domain, address, network or URL a line, the way
 * blocklists are published. '#' and ';' start a comment (a whole line, or
 * after whitespace); hosts-file lines ('0.0.0.0 name', '127.0.0.1 a b') list
 * their names, not the sink address; a URL gives its host.
 */
import type { ParsedFeed } from './entry.js';
import { DEFAULT_PARSE_LIMITS, FeedCollector, fieldsOf, forEachLine, type ParseLimits } from './feed-text.js';
import { addressValue, intelValue } from './values.js';

/** The addresses hosts files point blocked names at: the line lists names, not these. */
const SINKS = new Set(['0.0.0.0', '127.0.0.1', '::', '::1', '0:0:0:0:0:0:0:0', '0:0:0:0:0:0:0:1']);

/** firstLine: the number of text's first line in its file (a slice of a big feed read in pieces). */
export function parseList(text: string, source: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS, firstLine = 1): ParsedFeed {
  const feed = new FeedCollector(source, limits);
  forEachLine(text, (raw, lineNo) => {
    const ref = `${source}:${lineNo + firstLine - 1}`;
    if (raw.length > limits.maxLine) {
      feed.skip(ref, `line longer than ${limits.maxLine} characters`);
      return true;
    }
    const shape = lineShape(raw);
    if (shape === CONTROL) {
      feed.skip(ref, 'control character (NUL or binary) in the line');
      return true;
    }
    // Most lines of a big feed are one bare value: no split, no field array.
    if (shape === BARE) return feed.add(intelValue(raw), ref, '');
    const fields = withoutComment(fieldsOf(raw));
    if (fields.length === 0) return true;
    const first = fields[0]!;
    if (fields.length > 1 && SINKS.has(first) && addressValue(first) !== null) {
      // A hosts-file line: every name after the sink address is listed.
      for (let i = 1; i < fields.length; i++) if (!feed.add(intelValue(fields[i]!), ref, '')) return false;
      return true;
    }
    if (fields.length > 1) {
      feed.skip(ref, 'more than one value on a line that is no hosts-file line');
      return true;
    }
    return feed.add(intelValue(first), ref, '');
  });
  return feed.result();
}

/** The fields before the first that starts a comment. */
function withoutComment(fields: string[]): string[] {
  for (let i = 0; i < fields.length; i++) {
    const c = fields[i]!.charCodeAt(0);
    if (c === 35 || c === 59) return fields.slice(0, i);
  }
  return fields;
}

const BARE = 0;
const SPACED = 1;
const CONTROL = 2;

/** BARE: one value (no white space, no comment, not empty); SPACED: fields to split; CONTROL: binary junk. */
function lineShape(line: string): number {
  if (line.length === 0) return SPACED;
  const first = line.charCodeAt(0);
  let shape = first === 35 || first === 59 ? SPACED : BARE;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) shape = SPACED;
    else if (c < 32 || c === 127) return CONTROL;
  }
  return shape;
}
