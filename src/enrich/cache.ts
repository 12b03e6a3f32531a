/**
 * A compiled binary copy of parsed range tables, so later starts skip the CSV
 * parse. Best effort by design: any mismatch, truncation or corruption reads
 * as "no cache" and the caller parses the CSV again; a failed write is ignored.
 *
 * Layout: magic(8) | header length u32 LE | header JSON | pad to 4 |
 * sections, each 4-aligned | CRC-32 of everything before it (u32 LE).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('FHENRC01', 'latin1');

export interface CacheContent {
  words: Record<string, Uint32Array>;
  strings: Record<string, readonly string[]>;
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
      const list: unknown = JSON.parse(buf.toString('utf8', start, start + s.bytes));
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) return null;
      content.strings[s.name] = list as string[];
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
    push(name, 'strings', Buffer.from(JSON.stringify(list), 'utf8'));
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

function align4(n: number): number {
  return (n + 3) & ~3;
}
