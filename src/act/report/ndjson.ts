/** One JSON object per verdict per line, written in large chunks. */
import type { Writable } from 'node:stream';
import type { VerdictSink } from '../sink.js';

const FLUSH_AT = 64 * 1024;

export function ndjsonSink(out: Writable): VerdictSink {
  let buffer = '';
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  let pending: Promise<void> = Promise.resolve();
  return {
    name: 'ndjson',
    verdict(v) {
      buffer += JSON.stringify(v) + '\n';
      if (buffer.length >= FLUSH_AT) {
        const text = buffer;
        buffer = '';
        pending = pending.then(() => write(text));
      }
    },
    async close() {
      await pending;
      if (buffer.length > 0) await write(buffer);
      buffer = '';
    },
  };
}
