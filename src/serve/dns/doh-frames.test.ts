/**
 * The HTTP/2 frames of DoH answers, read off the wire by a raw client on
 * 127.0.0.1: each answer is one DATA frame carrying END_STREAM, even with
 * several streams answered in the same tick. A separate empty END_STREAM
 * frame (what Node's compat API sends) doubles the frames and writes, and a
 * client that takes one answer per read (dnsperf 2.10 -m doh) fails on it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates } from '../../../test/support/test-certs.js';
import { standaloneGovernor } from '../net/index.js';
import { DnsDohListener } from './doh.js';

const log = pino({ level: 'silent' });
const DATA = 0;
const HEADERS = 1;
const END_STREAM = 1;

interface Frame {
  type: number;
  flags: number;
  stream: number;
  length: number;
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK literal header field without indexing, no Huffman (RFC 7541 §6.2.2): enough for short values. */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
}

/** `count` GETs for n0.bench.test on one HTTP/2 connection, sent at once; the frames read back until every stream has ended. */
async function framesOf(port: number, count: number): Promise<Frame[]> {
  const frames: Frame[] = [];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
      const out = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0))];
      for (let i = 0; i < count; i++) {
        const query = packet.encode({ type: 'query', id: i + 1, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'n0.bench.test' }] }).toString('base64url');
        const block = Buffer.concat([literal(':method', 'GET'), literal(':scheme', 'https'), literal(':authority', '127.0.0.1'), literal(':path', `/dns-query?dns=${query}`)]);
        out.push(frame(HEADERS, 0x4 | END_STREAM, 1 + 2 * i, block));
      }
      socket.write(Buffer.concat(out));
    });
    let buffered = Buffer.alloc(0);
    const ended = new Set<number>();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`streams ended: ${[...ended].join(', ')}; frames: ${JSON.stringify(frames)}`));
    }, 5000);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 9 && buffered.length >= 9 + buffered.readUIntBE(0, 3)) {
        const f = { type: buffered[3]!, flags: buffered[4]!, stream: buffered.readUInt32BE(5) & 0x7fffffff, length: buffered.readUIntBE(0, 3) };
        frames.push(f);
        if (f.stream !== 0 && (f.flags & END_STREAM) !== 0 && (f.type === DATA || f.type === HEADERS)) ended.add(f.stream);
        buffered = buffered.subarray(9 + f.length);
      }
      if (ended.size === count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(frames);
      }
    });
  });
}

describe('DoH answers on the wire (HTTP/2)', () => {
  let dir: string;
  let listener: DnsDohListener;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-doh-frames-'));
    const files = makeTestCertificates(dir, 'doh.fluxhound.test');
    const governor = standaloneGovernor(log);
    listener = new DnsDohListener({
      gate: governor.gate({ listener: 'dns-doh', http: true }),
      credentials: { cert: readFileSync(files.cert), key: readFileSync(files.key) },
      log,
      logLimit: governor.logLimiter('dns'),
      knowsCustomer: () => false,
      // Every answer in the same later tick, as cache hits of one read come back: the streams' frames can interleave.
      handle: (query, _client, _customer, reply) => {
        const q = packet.decode(query);
        setImmediate(() => reply(packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: 'n0.bench.test', ttl: 60, data: '10.0.0.0' }] })));
        return true;
      },
    });
    await listener.listen('127.0.0.1', 0);
  });
  afterAll(async () => {
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each answer as one DATA frame with END_STREAM, never an empty END_STREAM frame after it', async () => {
    const frames = await framesOf(listener.port, 4);
    const data = frames.filter((f) => f.type === DATA);
    expect(data.map((f) => f.stream).sort((a, b) => a - b)).toEqual([1, 3, 5, 7]);
    for (const f of data) {
      expect(f.flags & END_STREAM).toBe(END_STREAM);
      expect(f.length).toBeGreaterThan(12);
    }
    expect(listener.stats.queries).toBe(4);
  });
});
