import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IntelSkip } from '../entry.js';
import { parseWarninglist } from './parse.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../../../test/fixtures/warninglists/${name}`, import.meta.url), 'utf8');
}

function reasons(skipped: IntelSkip[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of skipped) counts[s.reason] = (counts[s.reason] ?? 0) + 1;
  return counts;
}

// Counts read off the MISP files (test/fixtures/PROVENANCE.md).
describe('parseWarninglist on real MISP warninglists', () => {
  it('cloudflare (cidr): 15 IPv4 and 7 IPv6 networks, nothing skipped', () => {
    const list = parseWarninglist(fixture('cloudflare.json'), 'cloudflare.json');
    expect(list).toMatchObject({ name: 'List of known Cloudflare IP ranges', version: 20260811, type: 'cidr', skipped: [] });
    expect(list.entries).toHaveLength(22);
    expect(list.entries.every((e) => e.kind === 'cidr')).toBe(true);
    expect(list.entries[0]).toEqual({ kind: 'cidr', value: '103.21.244.0/22', ref: 'cloudflare.json: list[0]', note: '' });
    expect(list.entries.filter((e) => e.value.includes(':'))).toHaveLength(7);
  });

  it('google (string): leading-dot entries cover subdomains, the others only themselves', () => {
    const list = parseWarninglist(fixture('google.json'), 'google.json');
    expect(list.type).toBe('string');
    expect(list.skipped).toEqual([]);
    expect(list.entries).toHaveLength(669);
    const notes = (value: string) => list.entries.filter((e) => e.value === value).map((e) => e.note);
    // Listed twice: '.google.com' (line 54) and 'google.com' (line 281).
    expect(notes('google.com')).toEqual(['subdomains', 'exact']);
    expect(notes('drive.google.com')).toEqual(['exact']);
    expect(notes('1e100.net')).toEqual(['exact']);
    expect(list.entries.filter((e) => e.note === 'subdomains')).toHaveLength(194);
  });

  it('tlds (string): 1,438 names, upper case folded', () => {
    const list = parseWarninglist(fixture('tlds.json'), 'tlds.json');
    expect(list.entries).toHaveLength(1438);
    expect(list.entries[0]!.value).toBe('aaa');
  });
});

describe('parseWarninglist on hostile and unusual lists', () => {
  const json = (value: unknown) => JSON.stringify(value);

  it('refuses what is no warninglist with one skip naming the file', () => {
    expect(parseWarninglist('{"name": "x", "list": [', 'a.json').skipped[0]!.reason).toMatch(/^not JSON: /);
    expect(parseWarninglist('[1, 2]', 'b.json').skipped).toEqual([{ position: 'b.json', reason: 'not a warninglist (a JSON object with name, type and list)' }]);
    expect(parseWarninglist(json({ name: 'x', list: 'a.example' }), 'c.json').skipped).toEqual([{ position: 'c.json', reason: 'not a warninglist: no "list" array' }]);
    expect(parseWarninglist(json({ name: 'x', type: 'glob', list: [] }), 'd.json')).toMatchObject({ type: null, entries: [], skipped: [{ position: 'd.json', reason: 'unknown warninglist type "glob"' }] });
    expect(parseWarninglist('x'.repeat(10), 'e.json', { maxEntries: 10, maxLine: 10, maxSkipped: 10 }).skipped).toHaveLength(1);
  });

  it('skips regex and substring lists whole, counting their values: no pattern from a feed runs on names', () => {
    const regex = parseWarninglist(json({ name: 'r', type: 'regex', list: ['^(a+)+$', '.*'] }), 'r.json');
    expect(regex).toMatchObject({ type: 'regex', entries: [], skipped: [{ position: 'r.json', reason: 'regex list not read: 2 values skipped (patterns from a feed are not matched against names)' }] });
    const substring = parseWarninglist(json({ name: 's', type: 'substring', list: ['google'] }), 's.json');
    expect(substring.entries).toEqual([]);
    expect(substring.skipped[0]!.reason).toMatch(/^substring list not read: 1 values skipped/);
  });

  it('reads a list without a type as string (the README default) and skips bad values with their positions', () => {
    const list = parseWarninglist(json({ name: 'mixed', version: 3, list: ['Good.Example', 7, '', 'bad name.example', '192.0.2.1', '198.51.100.9/24', 'evil";$INCLUDE.example', 'com', null] }), 'm.json');
    expect(list).toMatchObject({ name: 'mixed', version: 3, type: 'string' });
    expect(list.entries.map((e) => [e.kind, e.value, e.note])).toEqual([
      ['domain', 'good.example', 'exact'],
      ['address', '192.0.2.1', ''],
      ['cidr', '198.51.100.0/24', ''],
      // Escaped by the one name rule: the text stays one field in a zone or a log line.
      ['domain', 'evil\\034\\059\\036include.example', 'exact'],
      // Kept here; extendInfra refuses it as a public suffix.
      ['domain', 'com', 'exact'],
    ]);
    expect(list.skipped.map((s) => `${s.position} ${s.reason}`)).toEqual([
      'm.json: list[1] not a string',
      'm.json: list[2] empty value',
      'm.json: list[3] not a domain name (empty label, space, control character or too long)',
      'm.json: list[8] not a string',
    ]);
  });

  it('keeps to matching_attributes: names out of an address list, addresses out of a name list; none usable skips the list', () => {
    const cidr = parseWarninglist(json({ name: 'c', type: 'cidr', list: ['192.0.2.0/24', 'a.example', '2001:db8::/32', '1.2.3.4/40'], matching_attributes: ['ip-dst'] }), 'c.json');
    expect(cidr.entries.map((e) => e.value)).toEqual(['192.0.2.0/24', '2001:db8::/32']);
    expect(reasons(cidr.skipped)).toEqual({ 'not an address or network (in a cidr list)': 1, 'IPv4 prefix longer than 32': 1 });
    const names = parseWarninglist(json({ name: 'n', type: 'hostname', list: ['a.example', '192.0.2.1'], matching_attributes: ['hostname', 'domain'] }), 'n.json');
    expect(names.entries.map((e) => [e.value, e.note])).toEqual([['a.example', 'subdomains']]);
    expect(names.skipped).toEqual([{ position: 'n.json: list[1]', reason: 'an address in a list whose matching_attributes take none' }]);
    const hashes = parseWarninglist(json({ name: 'h', list: ['d41d8cd98f00b204e9800998ecf8427e'], matching_attributes: ['md5', 'sha1'] }), 'h.json');
    expect(hashes.entries).toEqual([]);
    expect(hashes.skipped[0]!.reason).toBe('matching_attributes name no domain, hostname or address type: 1 values skipped');
  });

  it('is bounded: entries past the cap are not read, skips past the cap are counted in one', () => {
    const list = parseWarninglist(json({ name: 'big', list: [...Array.from({ length: 5 }, (_, i) => `n${i}.example`), ...Array.from({ length: 5 }, () => 'a..b')] }), 'big.json', { maxEntries: 3, maxLine: 4096, maxSkipped: 1 });
    expect(list.entries).toHaveLength(3);
    expect(list.skipped).toEqual([
      { position: 'big.json: list[3]', reason: 'entry cap 3 reached: the rest of the feed is not read' },
    ]);
    const skips = parseWarninglist(json({ name: 'bad', list: Array.from({ length: 5 }, () => 'a..b') }), 'bad.json', { maxEntries: 3, maxLine: 4096, maxSkipped: 2 });
    expect(skips.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/^not a domain/), expect.stringMatching(/^not a domain/), '3 more records skipped']);
  });
});
