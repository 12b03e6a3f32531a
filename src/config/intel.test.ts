import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from './load.js';

describe('config: intel.feeds', () => {
  it('fills a feed from its defaults: sniffed kind, log, hourly refresh, no expiry, confidence 50', () => {
    const config = validateConfig({ intel: { feeds: [{ name: 'partner', path: '/var/lib/intel/botnet.txt' }] } }, 'test');
    expect(config.intel.feeds).toEqual([{ name: 'partner', path: '/var/lib/intel/botnet.txt', url: null, kind: null, column: null, action: 'log', refresh: 3600, expiry: 0, confidence: 50, collection: null, auth: { user: null, passwordFile: null, tokenFile: null }, ca: null }]);
    expect(validateConfig({}, 'test').intel.feeds).toEqual([]);
  });

  it.each([
    ['both a path and a url', { name: 'x', path: '/a', url: 'https://feed.example/a' }, /exactly one of path and url/],
    ['neither a path nor a url', { name: 'x' }, /exactly one of path and url/],
    ['a csv feed with no column', { name: 'x', path: '/a', kind: 'csv' }, /needs its column/],
    ['an unknown kind', { name: 'x', path: '/a', kind: 'yara' }, /kind/],
    ['a confidence over 100', { name: 'x', path: '/a', confidence: 101 }, /confidence/],
    ['a name with a slash', { name: 'a/b', path: '/a' }, /name/],
    ['a url that is no http(s) URL', { name: 'x', url: 'file:///etc/passwd' }, /url/],
  ])('refuses %s', (_what, feed, message) => {
    expect(() => validateConfig({ intel: { feeds: [feed] } }, 'test')).toThrow(ConfigError);
    expect(() => validateConfig({ intel: { feeds: [feed] } }, 'test')).toThrow(message);
  });

  it('refuses two feeds of one name', () => {
    expect(() => validateConfig({ intel: { feeds: [{ name: 'x', path: '/a' }, { name: 'x', path: '/b' }] } }, 'test')).toThrow(/unique/);
  });
});
