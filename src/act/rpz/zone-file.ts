/**
 * An RpzZone as RFC 1035 master-file text, and the atomic zone-file write:
 * temp file beside the target, fsync, rename, fsync the directory, so a
 * resolver loading PATH sees the old zone or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NAME_TEXT } from '../../dns/name-text.js';
import type { RpzRecord, RpzZone } from './types.js';

/** Text is produced and written in chunks of about this many characters. */
const CHUNK = 1 << 20;

/** RFC 1035 master-file text of the zone. */
export function formatZone(zone: RpzZone): string {
  let text = '';
  for (const chunk of zoneChunks(zone)) text += chunk;
  return text;
}

/**
 * The master file in chunks of about 1 MiB (a million-record zone is too
 * big for one string). Owners and data are checked against the characters a
 * builder may produce: a record that could break the file throws instead.
 */
export function* zoneChunks(zone: RpzZone): Generator<string> {
  const { soa } = zone;
  checkAbsolute(zone.origin, 'origin');
  checkAbsolute(soa.mname, 'SOA mname');
  checkAbsolute(soa.rname, 'SOA rname');
  for (const ns of zone.ns) checkAbsolute(ns, 'NS');
  const timers = [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum, zone.ttl];
  if (!timers.every((t) => Number.isInteger(t) && t >= 0 && t <= 0xffffffff)) throw new Error('rpz: SOA serial, timers and TTL must be 32-bit integers');
  let text =
    `; fluxhound RPZ zone: ${zone.records.length} policy records\n` +
    `$ORIGIN ${zone.origin}\n` +
    `$TTL ${zone.ttl}\n` +
    `@ SOA ${soa.mname} ${soa.rname} ${soa.serial} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}\n`;
  for (const ns of zone.ns) text += `@ NS ${ns}\n`;
  for (const r of zone.records) {
    text += recordLine(r);
    if (text.length >= CHUNK) {
      yield text;
      text = '';
    }
  }
  if (text.length > 0) yield text;
}

function recordLine(r: RpzRecord): string {
  if (!safeName(r.owner) || r.owner.length === 0 || r.owner.endsWith('.')) throw new Error(`rpz: unsafe owner name in zone: ${JSON.stringify(r.owner.slice(0, 80))}`);
  let ok: boolean;
  switch (r.type) {
    case 'CNAME':
      ok = r.data.endsWith('.') && safeName(r.data);
      break;
    case 'A':
      ok = /^[0-9.]{7,15}$/.test(r.data);
      break;
    case 'AAAA':
      ok = /^[0-9a-fA-F:.]{2,45}$/.test(r.data);
      break;
    case 'TXT':
      ok = /^"(?:[^"\\\u0000-\u001f\u007f]|\\[^\u0000-\u001f\u007f])*"$/.test(r.data) && r.data.length <= 257;
      break;
    default:
      ok = false;
  }
  if (!ok) throw new Error(`rpz: unsafe ${String(r.type)} data in zone: ${JSON.stringify(String(r.data).slice(0, 80))}`);
  if (r.comment === undefined || r.comment === '') return `${r.owner} ${r.type} ${r.data}\n`;
  // A comment runs to the end of the line: nothing in it may end the line.
  if (!/^[\x20-\x7e]{1,1000}$/.test(r.comment)) throw new Error(`rpz: unsafe comment in zone: ${JSON.stringify(r.comment.slice(0, 80))}`);
  return `${r.owner} ${r.type} ${r.data} ; ${r.comment}\n`;
}

/**
 * Text in the one name rule of src/dns (what NAME_TEXT writes as itself,
 * upper case, '.' between labels) and \DDD escapes only: no whitespace, ';',
 * '"', '(', ')', '$', '@' or bare '\' that a master-file parser would read as
 * something other than part of the name.
 */
function safeName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 128 && (NAME_TEXT[c] !== 0 || c === 46 || (c >= 65 && c <= 90))) continue;
    if (c === 92 && isDigit(name, i + 1) && isDigit(name, i + 2) && isDigit(name, i + 3) && Number(name.slice(i + 1, i + 4)) <= 255) {
      i += 3;
      continue;
    }
    return false;
  }
  return true;
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function checkAbsolute(name: string, what: string): void {
  if (!name.endsWith('.') || !safeName(name) || (name !== '.' && name.includes('..'))) {
    throw new Error(`rpz: ${what} must be an absolute name, not ${JSON.stringify(name.slice(0, 80))}`);
  }
}

/**
 * Atomic write: temp file in the same directory, fsync, rename, fsync the
 * directory. On any failure the temp file is removed and PATH is untouched;
 * the error names the path.
 */
export async function writeZoneFile(path: string, zone: RpzZone): Promise<void> {
  await writeFileAtomic(path, zoneChunks(zone));
}

/** The same atomic write for any text produced in chunks (the IP blocklists use it too). */
export async function writeFileAtomic(path: string, chunks: Iterable<string>, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  try {
    handle = await open(temp, 'wx', mode);
    let pending = '';
    for (const chunk of chunks) {
      pending += chunk;
      if (pending.length >= CHUNK) {
        await handle.write(pending);
        pending = '';
      }
    }
    if (pending.length > 0) await handle.write(pending);
    await handle.sync();
    await handle.close();
    handle = null;
    await rename(temp, path);
  } catch (err) {
    if (handle !== null) await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot write ${path}: ${code ?? (err as Error).message}`, { cause: err });
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Start-up check that PATH can be written the way writeFileAtomic writes
 * it: a probe file is created beside it and removed. Throws a one-line
 * Error naming the path.
 */
export function checkWritable(path: string): void {
  const probe = join(dirname(path), `.${basename(path)}.${process.pid}.probe`);
  try {
    if (existsSync(path) && statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    throw new Error(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The SOA serial of a zone file fluxhound wrote before, or null (no file, not ours). */
export function existingSerial(path: string): number | null {
  let text: string;
  try {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(4096);
      text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('latin1');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  const m = /^@ SOA \S+ \S+ (\d{1,10}) /m.exec(text);
  return m === null || Number(m[1]) > 0xffffffff ? null : Number(m[1]);
}
