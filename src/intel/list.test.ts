import { describe, expect, it } from 'vitest';
import { parseList } from './list.js';

describe('parseList', () => {
  it('reads names, addresses, networks, URLs, hosts-file lines and comments with file:line refs', () => {
    const text = [
      '# a blocklist',
      '; another comment',
      '',
      'Bad.Example',
      '  192.0.2.1   # inline comment',
      '198.51.100.0/24',
      '0.0.0.0 ads.example tracker.example',
      '127.0.0.1 localhost',
      'https://phish.example/login',
      'bad.example ; trailing',
    ].join('\r\n');
    const feed = parseList(text, 'feed.txt');
    expect(feed.entries.map((e) => `${e.kind} ${e.value} ${e.ref}`)).toEqual([
      'domain bad.example feed.txt:4',
      'address 192.0.2.1 feed.txt:5',
      'cidr 198.51.100.0/24 feed.txt:6',
      'domain ads.example feed.txt:7',
      'domain tracker.example feed.txt:7',
      'domain localhost feed.txt:8',
      'domain phish.example feed.txt:9',
      'domain bad.example feed.txt:10',
    ]);
    expect(feed.skipped).toEqual([]);
  });

  it('skips hostile lines with their positions and keeps reading', () => {
    const text = ['ok.example', 'x'.repeat(100_000), 'nul\u0000.example', '1.2.3.4/99', 'two values.example here.example', 'after.example'].join('\n');
    const feed = parseList(text, 'hostile.txt');
    expect(feed.entries.map((e) => e.value)).toEqual(['ok.example', 'after.example']);
    expect(feed.skipped).toEqual([
      { position: 'hostile.txt:2', reason: 'line longer than 4096 characters' },
      { position: 'hostile.txt:3', reason: 'control character (NUL or binary) in the line' },
      { position: 'hostile.txt:4', reason: 'IPv4 prefix longer than 32' },
      { position: 'hostile.txt:5', reason: 'more than one value on a line that is no hosts-file line' },
    ]);
  });

  it('caps entries and the skip report: the rest is counted, not listed', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `n${i}.example`).concat(Array.from({ length: 30 }, () => 'bad..name'));
    const limits = { maxEntries: 1000, maxLine: 4096, maxSkipped: 10 };
    const feed = parseList(lines.join('\n'), 'f', limits);
    expect(feed.entries).toHaveLength(50);
    expect(feed.skipped).toHaveLength(11);
    expect(feed.skipped[10]).toEqual({ position: 'f', reason: '20 more records skipped' });
    const capped = parseList(lines.join('\n'), 'f', { ...limits, maxEntries: 5 });
    expect(capped.entries).toHaveLength(5);
    expect(capped.skipped).toEqual([{ position: 'f:6', reason: 'entry cap 5 reached: the rest of the feed is not read' }]);
  });
});
