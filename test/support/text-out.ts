/**
 * A Writable that keeps what is written, for tests that read a sink's
 * output back (ndjsonSink(out) in analyze runs).
 */
import { Writable } from 'node:stream';

export function textOut(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { out, text: () => text };
}
