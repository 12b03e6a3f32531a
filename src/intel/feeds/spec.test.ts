import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { intelFeedsOf, readIntelSpec } from './spec.js';

describe('--intel SOURCE[,key=value...]', () => {
  it('reads a path or URL and its options', () => {
    expect(readIntelSpec('/var/lib/intel/botnet.txt')).toEqual({ path: '/var/lib/intel/botnet.txt' });
    expect(readIntelSpec('https://feeds.example/a,b/list.csv,kind=csv,column=3,action=block,confidence=90,refresh=600,expiry=86400')).toEqual({
      url: 'https://feeds.example/a,b/list.csv', kind: 'csv', column: 3, action: 'block', confidence: 90, refresh: 600, expiry: 86400,
    });
    expect(readIntelSpec('urlhaus.csv,column=url,name=urlhaus')).toEqual({ path: 'urlhaus.csv', column: 'url', name: 'urlhaus' });
  });

  it('fills defaults, names a feed after its file or host, and keeps names unique', () => {
    const feeds = intelFeedsOf([], ['data/botnet.txt', 'https://feeds.example/x.json', 'other/botnet.txt']);
    expect(feeds.map((f) => f.name)).toEqual(['botnet', 'feeds.example', 'botnet-2']);
    expect(feeds[0]).toMatchObject({ path: 'data/botnet.txt', url: null, kind: null, action: 'log', refresh: 3600, expiry: 0, confidence: 50 });
  });

  it('adds to config intel.feeds; a flag naming a configured feed replaces it', () => {
    const configured = intelFeedsOf([], ['a.txt,name=partner', 'b.txt,name=other']);
    const feeds = intelFeedsOf(configured, ['c.txt,name=partner,action=block']);
    expect(feeds.map((f) => [f.name, f.path, f.action])).toEqual([['partner', 'c.txt', 'block'], ['other', 'b.txt', 'log']]);
    expect(() => intelFeedsOf([], ['a.txt,name=x', 'b.txt,name=x'])).toThrow(/another --intel is already named x/);
    expect(intelFeedsOf(defaultConfig().intel.feeds, [])).toEqual([]);
  });

  it.each([
    [',kind=list', /no path or URL/],
    ['a.txt,colour=red', /unknown option 'colour'/],
    ['a.txt,kind=', /option kind needs a value/],
    ['a.txt,kind=list,kind=csv', /kind given twice/],
    ['a.txt,confidence=high', /confidence takes a whole number/],
    ['a.txt,confidence=150', /confidence: /],
    ['a.txt,kind=xml', /kind: /],
    ['a.txt,kind=csv', /a csv intel feed needs its column/],
    ['a.txt,refresh=5', /refresh: /],
    ['a.txt,name=../../etc', /name: /],
    ['ftp://feeds.example/x', /only http and https/],
  ])('refuses %s in one line', (spec, reason) => {
    let error: unknown;
    try {
      intelFeedsOf([], [spec]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never echoes a URL user info or query in an error', () => {
    expect(() => intelFeedsOf([], ['https://user:pw@feeds.example/x?key=secret,bogus=1'])).toThrow(UsageError);
    try {
      intelFeedsOf([], ['https://user:pw@feeds.example/x?key=secret,bogus=1']);
    } catch (err) {
      expect((err as Error).message).not.toMatch(/pw|secret/);
    }
  });
});
