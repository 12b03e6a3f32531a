/**
 * The one way a file named in the config is read whole: only a regular file
 * of at most maxBytes. /dev/zero, a FIFO or a directory is refused before a
 * byte is read (opened non-blocking, so a FIFO without a writer does not
 * hang the daemon), and so is a file that grows past the cap while it is
 * read. Each refusal is a FileRefusal, worded by the caller (its config key
 * and cap name).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export type FileRefusal =
  | { kind: 'unreadable'; code: string }
  | { kind: 'not-regular' }
  | { kind: 'too-big'; size: number }
  | { kind: 'grew' };

export class FileRefused extends Error {
  constructor(readonly refusal: FileRefusal) {
    super(refusal.kind);
  }
}

/** The file's bytes as UTF-8; throws FileRefused. */
export function readRegularFile(path: string, maxBytes: number): string {
  return readRegularBytes(path, maxBytes).toString('utf8');
}

/** The file's bytes; throws FileRefused. */
export function readRegularBytes(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new FileRefused({ kind: 'unreadable', code: (err as NodeJS.ErrnoException).code ?? String(err) });
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new FileRefused({ kind: 'not-regular' });
    if (info.size > maxBytes) throw new FileRefused({ kind: 'too-big', size: info.size });
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw new FileRefused({ kind: 'grew' });
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, length);
  } finally {
    closeSync(fd);
  }
}
