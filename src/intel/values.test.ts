import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { parseList } from './list.js';
import { parseMispEvent } from './misp/index.js';
import { parseRpz } from './rpz.js';
import { parseStix } from './stix/index.js';
import { addressOrNetwork, domainValue, intelValue } from './values.js';

describe('intelValue: one spelling per value', () => {
  it.each([
    ['Evil.Example.COM.', 'domain', 'evil.example.com'],
    ['*.evil.example', 'domain', 'evil.example'],
    ['.', 'domain', '.'],
    ['192.0.2.7', 'address', '192.0.2.7'],
    ['2001:DB8:0:0::1', 'address', '2001:db8::1'],
    ['::ffff:198.51.100.9', 'address', '198.51.100.9'],
    ['198.51.100.77/24', 'cidr', '198.51.100.0/24'],
    ['198.51.100.77/32', 'address', '198.51.100.77'],
    ['2001:db8:abcd:12ff::/40', 'cidr', '2001:db8:ab00::/40'],
    ['::ffff:203.0.113.0/120', 'cidr', '203.0.113.0/24'],
    ['http://user:pw@Bad.Example:8080/path?q=1#f', 'domain', 'bad.example'],
    ['https://[2001:db8::2]:443/x', 'address', '2001:db8::2'],
    ['hxxp://a', 'domain', 'a'],
    // An internationalised name is the name asked on the wire: its A-labels (the one IDN rule, dns/name-text aLabels).
    ['Exämple.com', 'domain', 'xn--exmple-cua.com'],
  ])('%s → %s %s', (token, kind, value) => {
    expect(intelValue(token)).toEqual({ kind, value });
  });

  it.each([
    ['1.2.3.4/33', /longer than 32/],
    ['1.2.3.4/-1', /bad prefix/],
    ['1.2.3/24', /bad network/],
    ['1.2.3.4/', /bad prefix/],
    ['2001:db8::/129', /longer than 128/],
    ['999.1.1.1', /numeric last label/],
    ['a..b', /not a domain/],
    ['bad name.example', /not a domain/],
    ['a'.repeat(64) + '.example', /not a domain/],
    ['a.*.example', /wildcard/],
    ['http:///path', /without a host/],
    ['x'.repeat(5000), /longer than/],
  ])('%s is skipped', (token, reason) => {
    const v = intelValue(token);
    expect('reason' in v ? v.reason : 'kept').toMatch(reason);
  });

  it('escapes master-file specials by the one name rule, so an injection-looking name stays one field', () => {
    expect(intelValue('evil";$include.example')).toEqual({ kind: 'domain', value: 'evil\\034\\059\\036include.example' });
    expect(intelValue('a(b).example')).toEqual({ kind: 'domain', value: 'a\\040b\\041.example' });
  });
});

// Typed fields (STIX domain-name:value, MISP domain/hostname): the text must be a name.
describe('domainValue', () => {
  it.each([
    ['Evil.Example.', { kind: 'domain', value: 'evil.example' }],
    ['xn--80ak6aa92e.example', { kind: 'domain', value: 'xn--80ak6aa92e.example' }],
    // A byte the one name-text rule escapes keeps its \DDD form, so an RPZ zone or a log line stays safe.
    ['a;b.example', { kind: 'domain', value: 'a\\059b.example' }],
    // Unicode is written as the A-labels a resolver is asked for, not as escaped UTF-8 bytes.
    ['ünï.example', { kind: 'domain', value: 'xn--n-nga1b.example' }],
    ['xn--a.ü', { reason: 'not a domain name (a bad internationalised name)' }],
    // A URL character would end the host domainToASCII reads ('ü/x.example' is not the name 'xn--tda').
    ['ü/x.example', { reason: 'not a domain name (a bad internationalised name)' }],
    ['evil.example@ü', { reason: 'not a domain name (a bad internationalised name)' }],
    // Characters IDNA maps to nothing leave an empty label.
    ['\u00ad\u200b.example', { reason: 'not a domain name (empty label, space, control character or too long)' }],
    // The root is kept so the index refuses and counts it.
    ['.', { kind: 'domain', value: '.' }],
    ['', { reason: 'empty value' }],
    ['domain autuo.xicp.net', { reason: 'not a domain name (empty label, space, control character or too long)' }],
    ['a\u0000.example', { reason: 'not a domain name (empty label, space, control character or too long)' }],
    ['a..example', { reason: 'not a domain name (empty label, space, control character or too long)' }],
    [`${'a'.repeat(64)}.example`, { reason: 'not a domain name (empty label, space, control character or too long)' }],
    ['192.0.2.1', { reason: 'an address given as a domain name' }],
    ['2001:db8::1', { reason: 'an address given as a domain name' }],
    ['x'.repeat(3000), { reason: 'value longer than 2048 characters' }],
  ])('%j', (text, expected) => {
    expect(domainValue(text)).toEqual(expected);
  });
});

// Typed fields (STIX ipv4-addr/ipv6-addr:value, MISP ip-dst/ip-src): an address or a network.
describe('addressOrNetwork', () => {
  it.each([
    ['192.0.2.1', { kind: 'address', value: '192.0.2.1' }],
    ['2001:DB8:0:0:0:0:0:1', { kind: 'address', value: '2001:db8::1' }],
    ['::ffff:192.0.2.1', { kind: 'address', value: '192.0.2.1' }],
    ['192.0.2.0/24', { kind: 'cidr', value: '192.0.2.0/24' }],
    ['192.0.2.9/32', { kind: 'address', value: '192.0.2.9' }],
    ['2001:DB8::/32', { kind: 'cidr', value: '2001:db8::/32' }],
    ['2001:db8::9/128', { kind: 'address', value: '2001:db8::9' }],
    // Host bits are cleared, as every parser does: the network the feed wrote, in one spelling.
    ['192.0.2.1/24', { kind: 'cidr', value: '192.0.2.0/24' }],
    ['192.0.2.0/33', { reason: 'IPv4 prefix longer than 32' }],
    ['192.0.2.0/', { reason: 'bad prefix length' }],
    ['192.0.2', { reason: 'not an address' }],
    ['010.0.0.1', { reason: 'not an address' }],
    ['x', { reason: 'not an address' }],
    ['evil.example', { reason: 'not an address' }],
    ['', { reason: 'empty value' }],
    ['1'.repeat(100), { reason: 'not an address (longer than 64 characters)' }],
  ])('%j', (text, expected) => {
    expect(addressOrNetwork(text)).toEqual(expected);
  });
});

describe('one text per value whatever feed brought it', () => {
  it('list, CSV, RPZ, STIX and MISP spell the same name, address and network alike', () => {
    const name = 'WWW.Ünï.Example.';
    const address = '2001:DB8:0::7';
    const net = '198.51.100.77/24';
    const list = parseList([name, address, net].join('\n'), 'l.txt');
    const csv = parseCsv(['value', `"${name}"`, address, net].join('\n'), 'c.csv', 'value');
    const rpz = parseRpz(['$ORIGIN rpz.example.', `${name.slice(0, -1)} CNAME .`, '128.7.zz.db8.2001.rpz-ip CNAME .', '24.0.100.51.198.rpz-ip CNAME .'].join('\n'), 'z.rpz');
    const stix = parseStix(JSON.stringify({ type: 'bundle', id: 'bundle--1', objects: [
      { type: 'domain-name', id: 'domain-name--1', value: name },
      { type: 'ipv6-addr', id: 'ipv6-addr--1', value: address },
      { type: 'ipv4-addr', id: 'ipv4-addr--1', value: net },
    ] }), 's.json');
    const misp = parseMispEvent(JSON.stringify({ Event: { info: 'e', Attribute: [
      { uuid: 'a1', type: 'hostname', value: name },
      { uuid: 'a2', type: 'ip-dst', value: address },
      { uuid: 'a3', type: 'ip-src', value: net },
    ] } }), 'e.json');
    const expected = ['www.xn--n-nga1b.example', '2001:db8::7', '198.51.100.0/24'];
    for (const feed of [list, csv, rpz, stix, misp]) {
      expect(feed.skipped).toEqual([]);
      expect(feed.entries.map((e) => e.value)).toEqual(expected);
    }
  });
});
