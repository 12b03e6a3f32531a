/**
 * The last good copy of each URL feed, in intel.cacheDir: `<name>.copy` (the
 * bytes as fetched; for MISP and TAXII the loader's own JSON of them) and
 * `<name>.meta.json` (validators, when fetched, the redacted source). Each is
 * written atomically (temp file, fsync, rename), the copy before its meta, so
 * a crash leaves the old pair or a new copy with old validators (the next
 * fetch then answers 200 and heals it), never a torn file.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Validators } from './http-get.js';

export interface CopyMeta extends Validators {
  /** Epoch ms of the last good fetch (a 200, or a 304 confirming the copy). */
  fetchedAt: number;
  /** The URL as shown (no user info, no query). */
  source: string;
  /** Which feed the copy is of: copyIdentity(url or path, collection, kind). A copy of another is dropped. */
  identity: string;
  /** TAXII: the newest date_added seen, polled from next time. */
  newest?: string | null;
}

export interface CachedCopy {
  body: Buffer;
  meta: CopyMeta;
}

export function copyPaths(dir: string, name: string): { copy: string; meta: string } {
  return { copy: join(dir, `${name}.copy`), meta: join(dir, `${name}.meta.json`) };
}

/**
 * What a copy is of: the feed's URL (whole: the shown source drops the
 * query) or path, TAXII collection and kind, hashed so no secret in a URL
 * lands in the meta file. A feed whose url, collection or kind changed must
 * not reuse the old copy: its validators or TAXII added_after would skip
 * what the new source holds.
 */
export function copyIdentity(location: string, collection: string | null, kind: string | null): string {
  return createHash('sha256').update(JSON.stringify([location, collection, kind])).digest('hex');
}

/**
 * The copy and its meta; null when either is missing, the meta is
 * unreadable, or the copy is of another feed than `identity` (then both
 * files are removed, so nothing can confirm or extend it later).
 */
export async function readCopy(dir: string, name: string, maxBytes: number, identity: string): Promise<CachedCopy | null> {
  const paths = copyPaths(dir, name);
  try {
    const meta = JSON.parse(await readFile(paths.meta, 'utf8')) as Partial<CopyMeta>;
    if (meta.identity !== identity) {
      await Promise.all([unlink(paths.copy), unlink(paths.meta)].map((p) => p.catch(() => undefined)));
      return null;
    }
    const size = (await stat(paths.copy)).size;
    if (size > maxBytes) return null;
    if (typeof meta.fetchedAt !== 'number') return null;
    const body = await readFile(paths.copy);
    return {
      body,
      meta: {
        etag: typeof meta.etag === 'string' ? meta.etag : null,
        lastModified: typeof meta.lastModified === 'string' ? meta.lastModified : null,
        fetchedAt: meta.fetchedAt,
        source: typeof meta.source === 'string' ? meta.source : '',
        identity,
        newest: typeof meta.newest === 'string' ? meta.newest : null,
      },
    };
  } catch {
    return null;
  }
}

export async function writeCopy(dir: string, name: string, body: Buffer | null, meta: CopyMeta): Promise<void> {
  await mkdir(dir, { recursive: true });
  const paths = copyPaths(dir, name);
  if (body !== null) await writeAtomically(paths.copy, body);
  await writeAtomically(paths.meta, Buffer.from(JSON.stringify(meta) + '\n'));
}

async function writeAtomically(path: string, data: Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
