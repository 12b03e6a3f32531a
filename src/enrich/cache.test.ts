import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCache, writeCache } from './cache.js';
import type { CacheContent, StringList } from './cache.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const content: CacheContent = {
  words: { starts: Uint32Array.of(1, 2, 0xffffffff), odd: Uint32Array.of(7) },
  strings: { names: ['Cloudflare, Inc.', 'LLC "SPUTNIK"', 'Telefônica', ''] },
};

function strings(list: StringList | undefined): (string | undefined)[] | undefined {
  return list === undefined ? undefined : Array.from({ length: list.length }, (_, i) => list.at(i));
}

describe('binary cache', () => {
  it('reads back what it wrote, for the same key only', () => {
    const file = join(dir, 'sub', 'asn.bin');
    expect(writeCache(file, 'key 1', content)).toBe(true);
    const back = readCache(file, 'key 1');
    expect(back?.words['starts']).toEqual(content.words['starts']);
    expect(back?.words['odd']).toEqual(content.words['odd']);
    expect(strings(back?.strings['names'])).toEqual(content.strings['names']);
    expect(readCache(file, 'key 2')).toBeNull();
    expect(readdirSync(join(dir, 'sub'))).toEqual(['asn.bin']); // no temp file left behind
  });

  it('decodes each string on demand, any text and any count', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 40 }), (list) => {
        const file = join(dir, 'strings.bin');
        expect(writeCache(file, 'k', { words: {}, strings: { list } })).toBe(true);
        const back = readCache(file, 'k')!.strings['list']!;
        expect(back.length).toBe(list.length);
        // Backwards, so no string is decoded from a neighbour's bounds by accident.
        for (let i = list.length - 1; i >= 0; i--) expect(back.at(i)).toBe(Buffer.from(list[i]!, 'utf8').toString('utf8'));
        expect(back.at(list.length)).toBeUndefined();
        expect(back.at(-1)).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });

  it('reads a missing file as no cache', () => {
    expect(readCache(join(dir, 'none.bin'), 'k')).toBeNull();
  });

  it.each([
    ['a flipped byte in the data', (b: Buffer) => b.subarray(0, b.length).fill(0x5a, b.length - 12, b.length - 11)],
    ['a flipped byte in the header', (b: Buffer) => b.fill(0x20, 14, 15)],
    ['truncation', (b: Buffer) => b.subarray(0, b.length - 9)],
    ['an empty file', () => Buffer.alloc(0)],
    ['another format', (b: Buffer) => b.fill(0x41, 0, 8)],
  ])('treats %s as no cache', (_, damage) => {
    const file = join(dir, 'asn.bin');
    writeCache(file, 'k', content);
    writeFileSync(file, damage(readFileSync(file)));
    expect(readCache(file, 'k')).toBeNull();
  });

  it('reports a failed write instead of throwing', () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    expect(writeCache(join(blocker, 'asn.bin'), 'k', content)).toBe(false);
  });
});
