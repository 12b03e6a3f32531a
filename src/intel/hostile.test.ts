/**
 * Hostile feeds are survived: random bytes, a 10 MB line, a million junk
 * lines. No parser throws, memory of the report stays bounded, and the
 * positions of the first skips are given.
 */
import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { skipCount } from './feed-text.js';
import { buildIntelIndex } from './index.js';
import { parseList } from './list.js';
import { parseRpz } from './rpz.js';
import { sniffKind } from './sniff.js';

/** xorshift32 so a failure is the same on every run. */
function randomText(seed: number, length: number): string {
  let x = seed;
  const alphabet = 'ab.-*/:;#"()\\$ \t\n\r,0123456789\u0000\u00e9@[]?';
  let out = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += alphabet[(x >>> 0) % alphabet.length];
  }
  return out;
}

describe('hostile feeds', () => {
  it('never throws on random text, and every entry it keeps is a canonical value', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const text = randomText(seed, 2000);
      for (const feed of [parseList(text, 'r'), parseCsv(text, 'r', 1), parseCsv(text, 'r', 'b'), parseRpz(text, 'r')]) {
        for (const e of feed.entries) {
          // Specials only inside escapes (\DDD or \X): the value stays one field in a zone, a log, a terminal.
          if (e.kind === 'domain') expect(e.value.replace(/\\[0-9]{3}|\\./g, '')).not.toMatch(/[\s\u0000"();$\\]/);
          if (e.kind === 'cidr') expect(e.value).toMatch(/^[0-9a-f.:]+\/\d{1,3}$/);
        }
        expect(feed.skipped.length).toBeLessThanOrEqual(1001);
      }
      expect(() => sniffKind(new TextEncoder().encode(text))).not.toThrow();
    }
  });

  it('skips a 10 MB line unread and a million junk lines with a bounded report', () => {
    const huge = parseList(`ok.example\n${'a'.repeat(10_000_000)}\nlast.example\n`, 'huge.txt');
    expect(huge.entries.map((e) => e.value)).toEqual(['ok.example', 'last.example']);
    expect(huge.skipped).toEqual([{ position: 'huge.txt:2', reason: 'line longer than 4096 characters' }]);
    const junk = parseList('bad..name\n'.repeat(1_000_000), 'junk.txt');
    expect(junk.entries).toEqual([]);
    expect(junk.skipped).toHaveLength(1001);
    expect(junk.skipped[1000]).toEqual({ position: 'junk.txt', reason: '999000 more records skipped' });
    // Listed or not, every skip is counted: the feed's counts say a million.
    expect(skipCount(junk.skipped)).toBe(1_000_000);
    expect(buildIntelIndex([{ name: 'junk', action: 'log', confidence: 50, expiresAt: Infinity, feed: junk }], { isRegistrable: () => true, isAllowlisted: () => false }).counts[0]!.skipped).toBe(1_000_000);
    expect(skipCount([{ position: 'f:1', reason: 'not a domain name' }])).toBe(1);
    const rpz = parseRpz('$ORIGIN rpz.example.\n' + '( '.repeat(100) + '\nok.example CNAME .\n', 'p.rpz');
    expect(rpz.entries).toEqual([]);
    expect(rpz.skipped[0]).toEqual({ position: 'p.rpz:2', reason: 'parentheses never closed' });
  });

  it('keeps an injection-looking RPZ owner one escaped name, never a directive or a second record', () => {
    const rpz = parseRpz('$ORIGIN rpz.example.\nevil\\;$INCLUDE.example CNAME .\nx\\"y.example CNAME .\n', 'i.rpz');
    expect(rpz.entries.map((e) => e.value)).toEqual(['evil\\;\\036include.example', 'x\\"y.example']);
    expect(rpz.skipped).toEqual([]);
  });
});
