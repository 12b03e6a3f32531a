import { describe, expect, it } from 'vitest';
import { csvFields, feedDomain, FeedParser, parseTime } from './intel-feed.js';

const T = Date.UTC(2025, 3, 17, 10, 30, 0) / 1000;

function parse(text: string) {
  const p = new FeedParser();
  for (const line of text.split('\n')) p.line(line);
  return p.feed;
}

describe('parseTime', () => {
  it.each([
    [String(T), T],
    [`${T}.5`, T + 0.5],
    ['2025-04-17T10:30:00Z', T],
    ['2025-04-17T10:30:00.250Z', T + 0.25],
    ['2025-04-17 10:30:00', T],
    ['2025-04-17 10:30:00 UTC', T],
    ['2025-04-17T10:30', T],
    ['2025-04-17T12:30:00+02:00', T],
    ['2025-04-17T08:30:00-0200', T],
    ['2025-04-17', T - 10.5 * 3600],
  ])('%s', (text, seconds) => expect(parseTime(text)).toBe(seconds));

  it.each(['', 'yesterday', '2025-02-30', '2025-04-17T25:00:00Z', '0', '1743638400000', '-5', '17/04/2025'])('refuses %j', (text) => {
    expect(parseTime(text)).toBeNull();
  });
});

describe('feedDomain and csvFields', () => {
  it.each([
    ['Evil-Flux.RU.', 'evil-flux.ru'],
    ['www.evil.ru', 'www.evil.ru'],
    ['ru', null],
    ['http://evil.ru/x', null],
    ['a..b', null],
    ['', null],
  ])('%j → %j', (text, name) => expect(feedDomain(text)).toBe(name));

  it.each([
    ['a.ru,2025-04-17', ['a.ru', '2025-04-17']],
    ['"a.ru","2025-04-17 10:30:00"', ['a.ru', '2025-04-17 10:30:00']],
    ['"say ""hi""",x', ['say "hi"', 'x']],
    ['a,,b', ['a', '', 'b']],
    ['"open,x', null],
  ])('%j', (line, fields) => expect(csvFields(line)).toEqual(fields));
});

describe('FeedParser', () => {
  it('reads CSV without a header, keeps the earliest listing, and counts bad lines with their numbers', () => {
    const feed = parse(['# exported 2025-04-18', `evil.ru,${T}`, `evil.ru,${T - 60}`, 'bad line', 'x.top,not-a-time', '', `www.flux.xyz,2025-04-17T10:30:00Z`].join('\n'));
    expect(feed.shape).toBe('csv');
    expect([...feed.listings]).toEqual([['evil.ru', T - 60], ['www.flux.xyz', T]]);
    expect(feed.skipped).toBe(2);
    expect(feed.skippedSamples).toEqual([
      { line: 4, reason: 'expected 2 fields, found 1' },
      { line: 5, reason: "'not-a-time' is not a time (Unix seconds or ISO 8601, 1987..2106)" },
    ]);
  });

  it('counts a bad first line as a bad record with its number, not as a header dropped unseen', () => {
    const feed = parse(['x.top,not-a-time', `evil.ru,${T}`].join('\n'));
    expect([...feed.listings]).toEqual([['evil.ru', T]]);
    expect(feed.skipped).toBe(1);
    expect(feed.skippedSamples[0]!.line).toBe(1);
  });

  it('reads a CSV header and finds the columns by name', () => {
    const feed = parse(['first_seen,reporter,domain', `2025-04-17 10:30:00,abuse,evil.ru`, `${T},x,"flux.top"`].join('\n'));
    expect([...feed.listings]).toEqual([['evil.ru', T], ['flux.top', T]]);
    expect(feed.skipped).toBe(0);
  });

  it('reads plain text lines: the domain last, the time before it', () => {
    const feed = parse([`${T} evil.ru`, '2025-04-17 10:30:00 flux.top', '2025-04-17T10:30:00Z   Www.Flux.XYZ.', 'lonely.ru'].join('\n'));
    expect(feed.shape).toBe('text');
    expect([...feed.listings]).toEqual([['evil.ru', T], ['flux.top', T], ['www.flux.xyz', T]]);
    expect(feed.skippedSamples).toEqual([{ line: 4, reason: 'expected <time> <domain>' }]);
  });

  it('reads NDJSON with any of the domain and time keys', () => {
    const feed = parse(
      [
        `{"domain":"evil.ru","listed_at":${T}}`,
        `{"indicator":"flux.top","first_seen":"2025-04-17T10:30:00Z"}`,
        `{"indicator":"c.xyz","date_added":"2025-04-17 10:30:00"}`,
        `{"domain":"d.xyz","valid_from":"2025-04-17T10:30:00.000Z","type":"domain-name"}`,
        '{"domain":"e.xyz"}',
        '{"listed_at":1}',
        '[1,2]',
        '{not json',
      ].join('\n'),
    );
    expect([...feed.listings.keys()]).toEqual(['evil.ru', 'flux.top', 'c.xyz', 'd.xyz']);
    expect([...feed.listings.values()].every((t) => t === T)).toBe(true);
    expect(feed.skippedSamples.map((s) => s.line)).toEqual([5, 6, 7, 8]);
  });
});
