/**
 * One JSON object per verdict per line, written in large chunks. Flow
 * findings share the stream as records of their own (`"record":"exposure"`,
 * `"record":"fan-out"`), as flux networks do (`"record":"network"`), so one
 * `--json` stream carries a verdict and then the exposures it caused.
 */
import type { Writable } from 'node:stream';
import { escapeName } from '../../dns/name-text.js';
import type { Exposure, FanOut } from '../../model/flow.js';
import type { VerdictSink } from '../sink.js';

const FLUSH_AT = 64 * 1024;

export function ndjsonSink(out: Writable): VerdictSink {
  let buffer = '';
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  let pending: Promise<void> = Promise.resolve();
  const line = (text: string): void => {
    buffer += text + '\n';
    if (buffer.length >= FLUSH_AT) {
      const chunk = buffer;
      buffer = '';
      pending = pending.then(() => write(chunk));
    }
  };
  return {
    name: 'ndjson',
    verdict(v) {
      line(JSON.stringify(v));
    },
    exposure(e) {
      line(exposureJson(e));
    },
    fanOut(f) {
      line(fanOutJson(f));
    },
    async close() {
      await pending;
      if (buffer.length > 0) await write(buffer);
      buffer = '';
    },
  };
}

/**
 * An exposure as one JSON line. The domain comes from DNS answers (any
 * bytes): it is written in the one escaping rule (dns/name-text), like every
 * name fluxhound echoes, so `jq`, a SIEM and a terminal all see the same text.
 */
export function exposureJson(e: Exposure): string {
  // `record` first whatever order the object was built in: readers split the stream on it.
  const { record, ...rest } = e;
  return JSON.stringify({ record, ...rest, domain: escapeName(e.domain) });
}

export function fanOutJson(f: FanOut): string {
  const { record, ...rest } = f;
  return JSON.stringify({ record, ...rest });
}
