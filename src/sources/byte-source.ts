/**
 * Where an input's bytes come from, for input.ts: a file read ahead, or a
 * stream (stdin). Both hand chunks to one handler, can be paused (a gzip
 * stream that is full) and stopped.
 *
 * Why a file is not a stream: fs.createReadStream issues its next read only
 * after the 'data' handler returns, so every chunk costs a round trip through
 * libuv's thread pool with the main thread idle. On this 2-core VM that was
 * 0.3–0.8 s of a 10 s pcap analyze (3–7%), most of it in the flow scan, which
 * decodes a chunk faster than the pool reads one. `readAhead` keeps the next
 * read in flight while the current chunk is decoded.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export interface ByteHandlers {
  data(chunk: Buffer): void;
  end(): void;
  error(error: Error): void;
}

export interface ByteSource {
  /** Hand chunks to handlers until the end, an error or stop(). Called once. */
  start(handlers: ByteHandlers): void;
  pause(): void;
  resume(): void;
  /** No handler is called after this; a file is closed, a stream (stdin) only paused. */
  stop(): void;
}

/**
 * A chunk shorter than this share of the buffer read into (a pipe or FIFO
 * given as a file, or the end of a file) is copied out, so that a few bytes
 * kept by a decoder never pin a whole buffer.
 */
const COPY_BELOW = 4;

/**
 * A file's bytes in chunks of `size`, the next read in flight while a chunk
 * is handled. Each read goes into a fresh buffer, so a consumer may keep a
 * chunk; with `recycle` the reads take turns in two buffers instead, for a
 * consumer that keeps nothing once data() returns (a flow scan): a fresh
 * buffer costs the thread pool its page faults, about two thirds of reading
 * a file from the page cache.
 */
export function readAhead(file: string, size: number, { recycle = false } = {}): ByteSource {
  let stopped = false;
  let paused: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  return {
    start(handlers) {
      void pump(handlers);
    },
    pause() {
      if (gate === null) gate = new Promise<void>((resolve) => (paused = resolve));
    },
    resume() {
      const release = paused;
      paused = null;
      gate = null;
      release?.();
    },
    stop() {
      stopped = true;
      this.resume();
    },
  };

  async function pump(handlers: ByteHandlers): Promise<void> {
    let handle: FileHandle | null = null;
    let next: Promise<Buffer | null> | null = null;
    try {
      handle = await open(file, 'r');
      let position = 0;
      const spares = recycle ? [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)] : null;
      let turn = 0;
      const read = async (at: number): Promise<Buffer | null> => {
        const buffer = spares === null ? Buffer.allocUnsafe(size) : spares[turn++ & 1]!;
        const { bytesRead } = await handle!.read(buffer, 0, size, at);
        if (bytesRead === 0) return null;
        if (bytesRead === size) return buffer;
        return bytesRead * COPY_BELOW < size || spares !== null ? Buffer.from(buffer.subarray(0, bytesRead)) : buffer.subarray(0, bytesRead);
      };
      next = read(position);
      for (;;) {
        const chunk = await next;
        next = null;
        if (stopped) return;
        if (chunk === null) {
          stopped = true;
          handlers.end();
          return;
        }
        position += chunk.length;
        next = read(position);
        handlers.data(chunk);
        while (gate !== null && !stopped) await gate;
        if (stopped) return;
      }
    } catch (error) {
      if (stopped) return;
      stopped = true;
      handlers.error(error as Error);
    } finally {
      // A read still in flight (stopped while a chunk was handled) finishes before the file is closed.
      await next?.catch(() => null);
      await handle?.close().catch(() => undefined);
    }
  }
}

/** A stream's bytes (stdin): not ours to close, so stop() pauses it and lets go. */
export function fromStream(stream: Readable): ByteSource {
  let handlers: ByteHandlers | null = null;
  const onData = (chunk: Buffer): void => handlers?.data(chunk);
  const onEnd = (): void => handlers?.end();
  const onError = (error: Error): void => handlers?.error(error);
  return {
    start(h) {
      handlers = h;
      stream.on('data', onData).on('end', onEnd).on('error', onError);
    },
    pause() {
      stream.pause();
    },
    resume() {
      stream.resume();
    },
    stop() {
      handlers = null;
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      stream.pause();
    },
  };
}
