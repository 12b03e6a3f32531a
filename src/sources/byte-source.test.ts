import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fromStream, readAhead, type ByteSource } from './byte-source.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bytes-'));

function fileOf(bytes: number, name = `f${bytes}`): { path: string; data: Buffer } {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 2654435761) >>> 24;
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, data };
}

/** Every chunk up to the end (or an error), with the handlers' calls in order. */
function drain(source: ByteSource, onChunk?: (chunk: Buffer, n: number) => void): Promise<{ chunks: Buffer[]; calls: string[] }> {
  const chunks: Buffer[] = [];
  const calls: string[] = [];
  return new Promise((resolve) => {
    source.start({
      data(chunk) {
        chunks.push(Buffer.from(chunk));
        calls.push('data');
        onChunk?.(chunk, chunks.length);
      },
      end() {
        calls.push('end');
        resolve({ chunks, calls });
      },
      error(error) {
        calls.push(`error: ${error.message}`);
        resolve({ chunks, calls });
      },
    });
  });
}

describe('readAhead', () => {
  it.each([0, 1, 1023, 1024, 1025, 4096 * 3 + 17])('gives a file of %i bytes exactly, in order, in chunks of at most the size', async (bytes) => {
    const { path, data } = fileOf(bytes);
    const { chunks, calls } = await drain(readAhead(path, 1024));
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(chunks.every((c) => c.length > 0 && c.length <= 1024)).toBe(true);
    expect(calls.at(-1)).toBe('end');
    expect(calls.filter((c) => c === 'end')).toHaveLength(1);
  });

  it('with recycle, reads take turns in two buffers, and a consumer that copies each chunk gets the file exactly', async () => {
    const { path, data } = fileOf(9 * 5000 + 333, 'recycled');
    const backing = new Set<ArrayBufferLike>();
    const source = readAhead(path, 5000, { recycle: true });
    const { chunks } = await drain(source, (chunk) => {
      if (chunk.length === 5000) backing.add(chunk.buffer);
    });
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(backing.size).toBe(2);
  });

  it('copies a short last chunk out of its read buffer, so a decoder keeping it pins no whole buffer', async () => {
    const size = 65536;
    const { path } = fileOf(size + 10, 'short-tail');
    const seen: number[] = [];
    await new Promise<void>((resolve, reject) =>
      readAhead(path, size).start({ data: (chunk) => seen.push(chunk.buffer.byteLength), end: resolve, error: reject }),
    );
    expect(seen[0]).toBeGreaterThanOrEqual(size);
    expect(seen[1]).toBeLessThan(size);
  });

  it('hands nothing while paused, and goes on from where it was on resume', async () => {
    const { path, data } = fileOf(10 * 512, 'paused');
    const source = readAhead(path, 512);
    let handed = 0;
    let handedWhilePaused = -1;
    const done = drain(source, (_chunk, n) => {
      handed = n;
      if (n !== 3) return;
      source.pause();
      setTimeout(() => {
        handedWhilePaused = handed;
        source.resume();
      }, 30);
    });
    const { chunks } = await done;
    expect(handedWhilePaused).toBe(3);
    expect(chunks).toHaveLength(10);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('calls no handler after stop, even mid-file', async () => {
    const { path } = fileOf(20 * 256, 'stopped');
    const source = readAhead(path, 256);
    const calls: string[] = [];
    source.start({
      data() {
        calls.push('data');
        if (calls.length === 2) source.stop();
      },
      end: () => calls.push('end'),
      error: () => calls.push('error'),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual(['data', 'data']);
  });

  it('reports a file it cannot read once, as an error', async () => {
    const missing = await drain(readAhead(join(dir, 'missing'), 1024));
    expect(missing.calls).toHaveLength(1);
    expect(missing.calls[0]).toMatch(/^error: .*ENOENT/);
    const directory = await drain(readAhead(dir, 1024));
    expect(directory.calls).toHaveLength(1);
    expect(directory.calls[0]).toMatch(/^error: .*EISDIR/);
  });
});

describe('fromStream', () => {
  it("gives a stream's bytes and end", async () => {
    const { chunks, calls } = await drain(fromStream(Readable.from([Buffer.from('ab'), Buffer.from('cd')])));
    expect(Buffer.concat(chunks).toString()).toBe('abcd');
    expect(calls.at(-1)).toBe('end');
  });

  it('stopped, leaves the stream (stdin is not ours) paused, not destroyed', async () => {
    const stream = new PassThrough();
    const source = fromStream(stream);
    const seen: string[] = [];
    source.start({ data: (chunk) => (seen.push(chunk.toString()), source.stop()), end: () => seen.push('end'), error: () => seen.push('error') });
    stream.write('ab');
    await new Promise((r) => setTimeout(r, 10));
    stream.write('cd');
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['ab']);
    expect(stream.destroyed).toBe(false);
    expect(stream.isPaused()).toBe(true);
  });
});
