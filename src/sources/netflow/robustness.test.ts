// Garbage never throws: random mutations, truncations and hand-made hostile
// datagrams (zero-length sets, lengths past the end, template floods).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { decodeDatagram, TemplateCache, type DecodeResult } from './index.js';

const dir = new URL('../../../test/fixtures/flows/', import.meta.url);
const datagrams = readdirSync(dir).filter((f) => f.endsWith('.dat')).map((f) => readFileSync(new URL(f, dir)));

/** Deterministic PRNG (mulberry32) so a failure replays. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectCounted(r: DecodeResult): void {
  expect(r.counts.flows).toBe(r.flows.length);
  expect(r.counts.skipped).toBe(r.skipped.length);
  for (const f of r.flows) {
    expect(Number.isFinite(f.start) && Number.isFinite(f.end)).toBe(true);
    expect(f.samplingRate).toBeGreaterThan(0);
  }
}

describe('netflow decoder robustness', () => {
  test('5,000 random mutations of the real datagrams never throw and always count', () => {
    const rand = random(16);
    const cache = new TemplateCache({ maxTemplates: 64 });
    // Prime the cache with the real templates so that mutated data sets reach the record decoder.
    for (const d of datagrams) decodeDatagram(d, { exporter: 'x', cache, position: 'prime', now: 0 });
    for (let i = 0; i < 5000; i++) {
      const base = datagrams[Math.floor(rand() * datagrams.length)]!;
      const b = Uint8Array.from(base);
      const flips = 1 + Math.floor(rand() * 8);
      for (let k = 0; k < flips; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.3 ? Math.floor(rand() * b.length) : b.length;
      expectCounted(decodeDatagram(b.subarray(0, cut), { exporter: 'x', cache, position: `mutant ${i}`, now: 0 }));
    }
    expect(cache.size).toBeLessThanOrEqual(64);
  });

  test('every truncation of every real datagram', () => {
    for (const d of datagrams) {
      const cache = new TemplateCache();
      for (let cut = 0; cut <= d.length; cut++) expectCounted(decodeDatagram(d.subarray(0, cut), { exporter: 'x', cache, position: 'cut', now: 0 }));
    }
  });

  test('pure random bytes with each version', () => {
    const rand = random(7);
    const cache = new TemplateCache();
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(Math.floor(rand() * 300));
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(rand() * 256);
      if (b.length >= 2) { b[0] = 0; b[1] = [5, 9, 10][i % 3]!; }
      expectCounted(decodeDatagram(b, { exporter: 'x', cache, position: 'random', now: 0 }));
    }
  });

  test('a zero-length set and a set past the end are skipped, not looped on', () => {
    const cache = new TemplateCache();
    const ipfix = (sets: number[]): Uint8Array => {
      const b = new Uint8Array(16 + sets.length);
      b.set([0, 10, 0, b.length, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
      b.set(sets, 16);
      return b;
    };
    const zero = decodeDatagram(ipfix([1, 0, 0, 0]), { exporter: 'x', cache, position: 'p', now: 0 });
    expect(zero.skipped.map((s) => s.reason)).toEqual(['set length 0 shorter than its header']);
    const past = decodeDatagram(ipfix([1, 0, 0xff, 0xff]), { exporter: 'x', cache, position: 'p', now: 0 });
    expect(past.skipped.map((s) => s.reason)).toEqual(['set length 65535 past the end of the datagram']);
    // A template whose records have zero bytes would loop forever on its data set: refused.
    const empty = decodeDatagram(ipfix([0, 2, 0, 12, 1, 0, 0, 1, 0, 8, 0, 0]), { exporter: 'x', cache, position: 'p', now: 0 });
    expect(empty.skipped.map((s) => s.reason)).toEqual(['template 256 has records of zero bytes']);
  });
});

describe('template cache', () => {
  const tpl = { fields: [{ id: 8, enterprise: 0, length: 4 }], scopeCount: 0, minLength: 4 };

  test('templates are per exporter and domain, expire after their lifetime', () => {
    const cache = new TemplateCache({ lifetimeSeconds: 60 });
    cache.set('a:1/0', 256, { ...tpl, seen: 100 });
    expect(cache.get('a:1/0', 256, 150)).toBeDefined();
    expect(cache.get('a:1/1', 256, 150)).toBeUndefined();
    expect(cache.get('b:1/0', 256, 150)).toBeUndefined();
    expect(cache.get('a:1/0', 256, 161)).toBeUndefined();
  });

  test('the cap drops the oldest announced', () => {
    const cache = new TemplateCache({ maxTemplates: 2 });
    cache.set('a/0', 256, { ...tpl, seen: 0 });
    cache.set('a/0', 257, { ...tpl, seen: 0 });
    cache.set('a/0', 256, { ...tpl, seen: 1 }); // re-announced: now the newest
    cache.set('a/0', 258, { ...tpl, seen: 2 });
    expect(cache.size).toBe(2);
    expect(cache.get('a/0', 257, 2)).toBeUndefined();
    expect(cache.get('a/0', 256, 2)).toBeDefined();
  });
});
