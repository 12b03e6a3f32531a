/**
 * A compiled binary copy of parsed range tables, so later starts skip the CSV
 * parse. Best effort by design: any mismatch, truncation or corruption reads
 * as "no cache" and the caller parses the CSV again; a failed write is ignored.
 *
 * Layout: magic(8) | header length u32 LE | header JSON | pad to 4 |
 * sections, each 4-aligned | CRC-32 of everything before it (u32 LE).
 * A strings section is count u32 | where each string ends (count u32) | UTF-8 text;
 * its strings are decoded one by one when first asked for, since a start
 * needs few of them (JSON.parse of ~90k AS names cost ~50 ms at each start).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('FHENRC02', 'latin1');

export interface CacheContent {
  words: Record<string, Uint32Array>;
  strings: Record<string, StringList>;
}

/** What a strings section holds: a plain array when written, a CachedStrings when read. */
export interface StringList {
  readonly length: number;
  at(index: number): string | undefined;
}

/** A strings section read back: each string decoded once, on first use. */
export class CachedStrings implements StringList {
  readonly length: number;
  private readonly text: Buffer;
  /** ends[i] is where string i stops in text; string i starts at ends[i - 1] (0 for the first). */
  private readonly ends: Uint32Array;
  private readonly decoded: (string | undefined)[];

  constructor(text: Buffer, ends: Uint32Array) {
    this.text = text;
    this.ends = ends;
    this.length = ends.length;
    this.decoded = new Array<string | undefined>(ends.length);
  }

  at(index: number): string | undefined {
    if (index < 0 || index >= this.length) return undefined;
    const known = this.decoded[index];
    if (known !== undefined) return known;
    const text = this.text.toString('utf8', index === 0 ? 0 : this.ends[index - 1]!, this.ends[index]!);
    this.decoded[index] = text;
    return text;
  }
}

interface Section {
  name: string;
  kind: 'words' | 'strings';
  offset: number;
  bytes: number;
}

interface Header {
  key: string;
  sections: Section[];
}

/** The cached content when file exists and was written for exactly this key; null otherwise. */
export function readCache(file: string, key: string): CacheContent | null {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return null;
  }
  try {
    return decode(buf, key);
  } catch {
    return null; // Malformed header JSON and the like: treat as corrupt.
  }
}

function decode(buf: Buffer, key: string): CacheContent | null {
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const body = buf.length - 4;
  if (crc32(buf.subarray(0, body)) !== buf.readUInt32LE(body)) return null;
  const headerLen = buf.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  if (headerStart + headerLen > body) return null;
  const header = JSON.parse(buf.toString('utf8', headerStart, headerStart + headerLen)) as Header;
  if (header.key !== key || !Array.isArray(header.sections)) return null;
  const base = align4(headerStart + headerLen);
  const content: CacheContent = { words: {}, strings: {} };
  for (const s of header.sections) {
    const start = base + s.offset;
    if (!Number.isInteger(start) || s.offset < 0 || s.bytes < 0 || start + s.bytes > body) return null;
    if (s.kind === 'words') {
      if (s.bytes % 4 !== 0) return null;
      content.words[s.name] = wordsAt(buf, start, s.bytes / 4);
    } else {
      const list = stringsAt(buf, start, s.bytes);
      if (list === null) return null;
      content.strings[s.name] = list;
    }
  }
  return content;
}

/** A view when the bytes are 4-aligned in memory (the usual case), else a copy. */
function wordsAt(buf: Buffer, start: number, count: number): Uint32Array {
  const at = buf.byteOffset + start;
  if (at % 4 === 0) return new Uint32Array(buf.buffer, at, count);
  return new Uint32Array(buf.buffer.slice(at, at + count * 4));
}

/** A strings section's list; null when its counts and offsets do not fit its bytes. */
function stringsAt(buf: Buffer, start: number, bytes: number): CachedStrings | null {
  if (bytes < 4) return null;
  const count = buf.readUInt32LE(start);
  const textStart = start + 4 + count * 4;
  if (count > bytes / 4 || textStart > start + bytes) return null;
  const ends = wordsAt(buf, start + 4, count);
  const textBytes = start + bytes - textStart;
  let previous = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i]!;
    if (end < previous) return null;
    previous = end;
  }
  if (previous !== textBytes) return null;
  return new CachedStrings(buf.subarray(textStart, textStart + textBytes), ends);
}

/** Write atomically (temp file + rename) so a reader never sees half a file. False on any failure. */
export function writeCache(file: string, key: string, content: CacheContent): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, encode(key, content));
    renameSync(tmp, file);
    return true;
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The directory itself is unusable; nothing was left in it.
    }
    return false;
  }
}

function encode(key: string, content: CacheContent): Buffer {
  const sections: Section[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  const push = (name: string, kind: Section['kind'], bytes: Uint8Array) => {
    sections.push({ name, kind, offset, bytes: bytes.length });
    parts.push(bytes);
    const pad = align4(bytes.length) - bytes.length;
    if (pad > 0) parts.push(new Uint8Array(pad));
    offset += bytes.length + pad;
  };
  for (const [name, words] of Object.entries(content.words)) {
    push(name, 'words', new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
  }
  for (const [name, list] of Object.entries(content.strings)) {
    push(name, 'strings', encodeStrings(list));
  }
  const header = Buffer.from(JSON.stringify({ key, sections } satisfies Header), 'utf8');
  const headerLen = Buffer.alloc(4);
  headerLen.writeUInt32LE(header.length);
  const headerEnd = MAGIC.length + 4 + header.length;
  const body = Buffer.concat([MAGIC, headerLen, header, new Uint8Array(align4(headerEnd) - headerEnd), ...parts]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body));
  return Buffer.concat([body, crc]);
}

/** The ends are words in this machine's byte order, as every words section is (readers key on the byte order). */
function encodeStrings(list: StringList): Buffer {
  const texts = Array.from({ length: list.length }, (_, i) => Buffer.from(list.at(i) ?? '', 'utf8'));
  const ends = new Uint32Array(texts.length);
  let end = 0;
  texts.forEach((t, i) => {
    end += t.length;
    ends[i] = end;
  });
  const count = Buffer.alloc(4);
  count.writeUInt32LE(texts.length);
  return Buffer.concat([count, new Uint8Array(ends.buffer), ...texts]);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
