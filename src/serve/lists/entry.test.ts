import { describe, expect, it } from 'vitest';
import { UsageError } from '../../model/errors.js';
import { checkChange, covering, denyVerdict, listName } from './entry.js';

const change = (over: Partial<Parameters<typeof checkChange>[0]> = {}) => ({ op: 'add' as const, list: 'deny' as const, name: 'evil.example.com', comment: 'phish', by: 'alice', at: 1_900_000_000, ...over });

describe('list entries', () => {
  it.each([
    ['Evil.Example.COM.', 'allow', 'evil.example.com'],
    ['  www.evil.example ', 'deny', 'www.evil.example'],
    ['évil.example', 'allow', 'xn--vil-9la.example'],
    ['a"b.example', 'deny', 'a\\034b.example'],
  ] as const)('%j on the %s list is %j (canonical, the one escaping rule)', (raw, list, name) => {
    expect(listName(raw, list)).toBe(name);
  });

  it.each([
    ['.', 'allow', /"\." is not a domain name/],
    ['', 'deny', /is not a domain name/],
    ['a..b', 'allow', /is not a domain name/],
    ['a b.example', 'allow', /is not a domain name/],
    ['a\u001b[31m.example', 'deny', /^deny: "a\\\\027\[31m.example" is not a domain name$/],
    ['x'.repeat(64) + '.example', 'allow', /is not a domain name/],
    ['192.0.2.1', 'allow', /is an address; the allow list takes domain names/],
    ['2001:db8::1', 'deny', /is an address/],
    ['*.evil.example', 'deny', /wildcard label/],
    ['com', 'deny', /^deny: "com" is the root or a public suffix; a deny entry would block every name under it$/],
    ['co.uk', 'deny', /public suffix/],
    ['github.io', 'deny', /public suffix/],
    ['com', 'allow', /^allow: "com" is the root or a public suffix; an allow entry would turn off protection for every name under it$/],
    ['co.uk', 'allow', /public suffix/],
  ] as const)('%j on the %s list is refused', (raw, list, message) => {
    expect(() => listName(raw, list)).toThrow(UsageError);
    expect(() => listName(raw, list)).toThrow(message);
  });

  it('an entry for a public suffix (made before the rule) may still be removed from either list', () => {
    expect(checkChange(change({ op: 'remove', name: 'co.uk' })).name).toBe('co.uk');
    expect(checkChange(change({ op: 'remove', list: 'allow', name: 'com' })).name).toBe('com');
  });

  it('requires a comment and an author without control characters, within their caps', () => {
    expect(() => checkChange(change({ comment: '  ' }))).toThrow(/^deny: a comment is required/);
    expect(() => checkChange(change({ comment: 'x'.repeat(501) }))).toThrow(/over 500 characters/);
    expect(() => checkChange(change({ comment: 'a\u001b[31mred' }))).toThrow(/control characters/);
    expect(() => checkChange(change({ by: '' }))).toThrow(/is required/);
    expect(() => checkChange(change({ list: 'grey' as never }))).toThrow(/no list named "grey"/);
    expect(checkChange(change({ comment: '  trimmed  ' })).comment).toBe('trimmed');
  });

  it('builds the policy verdict of a deny entry: blocks the name and below, quotes the entry', () => {
    const v = denyVerdict({ list: 'deny', name: 'login.evil.example.com', comment: 'reported phish', by: 'alice', at: Date.UTC(2030, 0, 1) / 1000 });
    expect(v).toMatchObject({
      domain: 'login.evil.example.com',
      registered_domain: 'example.com',
      zone: 'login.evil.example.com',
      verdict: 'fast-flux',
      flux: null,
      score: 100,
      reasons: ['on the operator deny list since 2030-01-01T00:00:00.000Z: reported phish'],
      contributions: [],
      evidence: { addresses: [], name_servers: [], ns_addresses: [] },
      listed: { list: 'deny', comment: 'reported phish', by: 'alice', at: Date.UTC(2030, 0, 1) / 1000 },
    });
    expect(v.features.ips).toBe(0);
    expect(denyVerdict({ list: 'deny', name: 'example.com', comment: 'c', by: 'b', at: 0 }).zone).toBeNull();
  });

  it('finds the entry covering a name: its own, else its nearest ancestor', () => {
    const e = (name: string) => ({ list: 'allow' as const, name, comment: 'c', by: 'b', at: 0 });
    const entries = [e('example.com'), e('www.example.com')];
    expect(covering(entries, 'a.www.example.com')?.name).toBe('www.example.com');
    expect(covering(entries, 'mail.example.com')?.name).toBe('example.com');
    expect(covering(entries, 'example.org')).toBeNull();
    expect(covering(entries, 'wwwexample.com')).toBeNull();
  });
});
