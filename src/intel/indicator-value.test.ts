import { describe, expect, it } from 'vitest';
import { addressValue, domainValue } from './indicator-value.js';

describe('domainValue', () => {
  it.each([
    ['Evil.Example.', { kind: 'domain', value: 'evil.example' }],
    ['xn--80ak6aa92e.example', { kind: 'domain', value: 'xn--80ak6aa92e.example' }],
    // A byte the one name-text rule escapes keeps its \DDD form, so an RPZ zone or a log line stays safe.
    ['a;b.example', { kind: 'domain', value: 'a\\059b.example' }],
    ['ünï.example', { kind: 'domain', value: '\\195\\188n\\195\\175.example' }],
    ['', 'empty domain name'],
    ['.', 'not a domain name'],
    ['domain autuo.xicp.net', 'not a domain name'],
    ['a\u0000.example', 'not a domain name'],
    ['a..example', 'not a domain name'],
    [`${'a'.repeat(64)}.example`, 'not a domain name'],
    ['192.0.2.1', 'an address given as a domain name'],
    ['x'.repeat(2000), 'domain name longer than 1024 characters'],
  ])('%j', (text, expected) => {
    expect(domainValue(text)).toEqual(expected);
  });
});

describe('addressValue', () => {
  it.each([
    ['192.0.2.1', { kind: 'address', value: '192.0.2.1' }],
    ['2001:DB8:0:0:0:0:0:1', { kind: 'address', value: '2001:db8::1' }],
    ['192.0.2.0/24', { kind: 'cidr', value: '192.0.2.0/24' }],
    ['192.0.2.9/32', { kind: 'address', value: '192.0.2.9' }],
    ['2001:DB8::/32', { kind: 'cidr', value: '2001:db8::/32' }],
    ['192.0.2.1/24', 'not a network: host bits set'],
    ['192.0.2.0/33', 'not a network: bad prefix length /33'],
    ['192.0.2.0/', 'not a network: bad prefix length /'],
    ['192.0.2', 'not an address'],
    ['010.0.0.1', 'not an address'],
    ['x', 'not an address'],
    ['', 'not an address'],
  ])('%j', (text, expected) => {
    expect(addressValue(text)).toEqual(expected);
  });
});
