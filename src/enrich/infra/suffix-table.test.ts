import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SuffixTable } from './suffix-table.js';

function table(entries: [string, number][]): SuffixTable {
  const t = new SuffixTable(entries.length);
  for (const [k, v] of entries) expect(t.set(k, v)).toBe(true);
  return t;
}

describe('SuffixTable', () => {
  const t = table([
    ['akamaiedge.net', 1],
    ['akamai.net', 2],
    ['cdn.dnsv1.com', 3],
    ['dnsv1.com', 4],
    ['pool.ntp.org', 5],
  ]);

  it.each([
    ['e1234.a.akamaiedge.net', 1],
    ['akamaiedge.net', 1], // the suffix itself
    ['a1.g.akamai.net', 2],
    ['x.cdn.dnsv1.com', 3], // the longer of two matching suffixes
    ['x.dnsv1.com', 4],
    ['cdn.dnsv1.com', 3],
    ['notakamaiedge.net', -1], // matches only at a label boundary
    ['akamaiedge.net.evil.example', -1],
    ['net', -1],
    ['', -1],
    ['0.pool.ntp.org', 5],
    ['www.ntp.org', -1],
  ])('longest(%s) = %d', (name, want) => {
    expect(t.longest(name)).toBe(want);
  });

  it('folds ASCII case and ignores one trailing dot', () => {
    expect(t.longest('E1234.A.AkamaiEdge.NET.')).toBe(1);
    expect(t.exact('Akamai.Net.')).toBe(2);
    expect(t.matches('X.DNSV1.COM')).toBe(true);
  });

  it('matches() stops at the shortest suffix, exact() wants the whole name', () => {
    expect(t.matches('x.cdn.dnsv1.com')).toBe(true);
    expect(t.matches('example.com')).toBe(false);
    expect(t.exact('x.akamai.net')).toBe(-1);
    expect(t.exact('akamai.net')).toBe(2);
    expect(t.exact('a-name-longer-than-any-key-in-the-table.example')).toBe(-1);
  });

  it('refuses a key twice, and more keys than its capacity', () => {
    const small = new SuffixTable(2);
    expect(small.set('a.example', 1)).toBe(true);
    expect(small.set('a.example', 2)).toBe(false);
    expect(small.exact('a.example')).toBe(1);
    expect(small.set('b.example', 2)).toBe(true);
    for (let i = 0; i < 10; i++) small.set(`c${i}.example`, i);
    expect(small.size).toBeLessThanOrEqual(4); // half the slots at most stay free
  });

  it('an empty table matches nothing', () => {
    expect(SuffixTable.empty.longest('a.b.c')).toBe(-1);
    expect(SuffixTable.empty.exact('a.b')).toBe(-1);
    expect(SuffixTable.empty.matches('a.b')).toBe(false);
  });

  it('agrees with a naive suffix scan on random names', () => {
    const label = fc.constantFrom('a', 'b', 'ab', 'ba', 'com', 'net', 'x-y');
    const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 30 }), fc.array(name, { maxLength: 30 }), (keys, names) => {
        const t = table(keys.map((k, i) => [k, i]));
        for (const n of names) {
          const naive = keys
            .map((k, i) => ({ k, i }))
            .filter(({ k }) => n === k || n.endsWith(`.${k}`))
            .sort((a, b) => b.k.length - a.k.length)[0];
          expect(t.longest(n)).toBe(naive?.i ?? -1);
          expect(t.matches(n)).toBe(naive !== undefined);
          expect(t.exact(n)).toBe(keys.indexOf(n));
        }
      }),
    );
  });

  it('answers the same when rebuilt from its words and keys (the binary cache), and refuses more keys', () => {
    const label = fc.constantFrom('a', 'b', 'ab', 'ba', 'com', 'net', 'x-y');
    const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 30 }), fc.array(name, { maxLength: 30 }), (keys, names) => {
        const built = table(keys.map((k, i) => [k, i * 3]));
        const copy = SuffixTable.fromWords(built.words(), [...keys]);
        expect(copy).not.toBeNull();
        expect(copy!.size).toBe(built.size);
        for (const n of [...keys, ...names, ...names.map((x) => `${x.toUpperCase()}.`)]) {
          expect(copy!.longest(n)).toBe(built.longest(n));
          expect(copy!.matches(n)).toBe(built.matches(n));
          expect(copy!.exact(n)).toBe(built.exact(n));
        }
        expect(copy!.set('new.example', 1)).toBe(false);
      }),
    );
  });

  it('refuses words and keys that do not fit together', () => {
    const t = table([['a.com', 1], ['b.net', 2]]);
    expect(SuffixTable.fromWords(t.words(), ['a.com'])).toBeNull();
    expect(SuffixTable.fromWords({ ...t.words(), capacity: 1 }, ['a.com', 'b.net'])).toBeNull();
  });
});
