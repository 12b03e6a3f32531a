import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IntelSkip } from '../entry.js';
import { MAX_STIX_OBJECTS, parseStix, parseStixObjects } from './index.js';

const NOW = Date.parse('2026-12-05T00:00:00Z');

function fixture(name: string): string {
  return readFileSync(new URL(`../../../test/fixtures/cti/stix/${name}`, import.meta.url), 'utf8');
}

function reasons(skipped: IntelSkip[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of skipped) counts[s.reason] = (counts[s.reason] ?? 0) + 1;
  return counts;
}

function kinds(entries: Array<{ kind: string }>): Record<string, number> {
  return reasons(entries.map((e) => ({ position: '', reason: e.kind })));
}

describe('parseStixObjects', () => {
  it('reads a list of parsed objects as parseStix reads its text, with no text cap', () => {
    const text = fixture('indicator-for-c2-ip-address.json');
    const bundle = JSON.parse(text) as { objects: unknown[] };
    expect(parseStixObjects(bundle.objects, 'c2.json', { now: NOW })).toEqual(parseStix(text, 'c2.json', { now: NOW }));
    // Past MAX_STIX_TEXT as text, yet read: the objects are never stringified.
    const big = { type: 'note', id: 'note--00000000-0000-4000-8000-000000000000', spec_version: '2.1', content: 'x'.repeat(70 * 1024 * 1024) };
    const feed = parseStixObjects([...bundle.objects, big], 'big', { now: NOW });
    expect(feed.entries.map((e) => e.value)).toEqual(['10.0.0.0']);
    expect(feed.skipped).toEqual([]);
  });
});

// Counts below were read off the OASIS example files by hand (see test/fixtures/cti/PROVENANCE.md).
describe('parseStix on the OASIS STIX 2.1 examples', () => {
  it('indicator-for-c2-ip-address: one address indicator', () => {
    const feed = parseStix(fixture('indicator-for-c2-ip-address.json'), 'c2.json', { now: NOW });
    expect(feed).toEqual({
      entries: [{ kind: 'address', value: '10.0.0.0', ref: 'indicator--33fe3b22-0201-47cf-85d0-97c02164528d', note: 'IP Address for known C2 channel' }],
      skipped: [],
    });
  });

  it('indicators-for-C2-with-COA: the address indicator, the file hash indicator counted', () => {
    const feed = parseStix(fixture('indicators-for-C2-with-COA.json'), 'coa.json', { now: NOW });
    expect(feed.entries.map((e) => [e.kind, e.value, e.ref])).toEqual([['address', '10.0.0.0', 'indicator--53fe3b22-0201-47cf-85d0-97c02164528d']]);
    expect(feed.skipped).toEqual([
      { position: 'coa.json: indicator--a932fcc6-e032-476c-826f-cb970a5a1ade', reason: "object path file:hashes.'SHA-256' unsupported" },
    ]);
  });

  it('malicious-email-indicator-with-attachment: both email patterns counted, nothing used', () => {
    const feed = parseStix(fixture('malicious-email-indicator-with-attachment.json'), 'mail.json', { now: NOW });
    expect(feed.entries).toEqual([]);
    expect(feed.skipped.map((s) => s.reason)).toEqual([
      'object path email-message:subject unsupported',
      'object path email-message:body_multipart[*].body_raw_ref.name unsupported',
    ]);
  });

  it('infrastructure: the two SCOs, each noted with the infrastructure that consists of it', () => {
    const feed = parseStix(fixture('infrastructure.json'), 'infra.json', { now: NOW });
    expect(feed).toEqual({
      entries: [
        { kind: 'address', value: '198.51.100.3', ref: 'ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956', note: 'infrastructure: Poison Ivy C2' },
        { kind: 'domain', value: 'example.com', ref: 'domain-name--ecb120bf-2694-4902-a737-62b74539a41b', note: 'infrastructure: Example target-list-hosting' },
      ],
      skipped: [],
    });
  });

  it('apt1: 4 CIDR and 3 domain indicators; 3 file hashes and 2 x509 ANDs counted', () => {
    const feed = parseStix(fixture('apt1.json'), 'apt1.json', { now: NOW });
    expect(kinds(feed.entries)).toEqual({ cidr: 4, domain: 3 });
    expect(feed.entries.filter((e) => e.kind === 'cidr').map((e) => e.value)).toEqual(['223.166.0.0/15', '58.246.0.0/15', '112.64.0.0/15', '139.226.0.0/15']);
    expect(feed.entries.filter((e) => e.kind === 'domain').map((e) => e.value)).toEqual(['hugesoft.org', 'arrowservice.net', 'msnhome.org']);
    expect(reasons(feed.skipped)).toEqual({ 'object path file:hashes.md5 unsupported': 3, 'AND of comparisons unsupported': 2 });
  });

  it('poisonivy: 23 indicators of OR-ed names and addresses give 64 entries; a malformed name and 2 file names counted', () => {
    const feed = parseStix(fixture('poisonivy.json'), 'pivy.json', { now: NOW });
    expect(kinds(feed.entries)).toEqual({ domain: 24, address: 40 });
    expect(new Set(feed.entries.map((e) => e.ref)).size).toBe(23);
    expect(reasons(feed.skipped)).toEqual({ 'object path file:name unsupported': 2, 'not a domain name (empty label, space, control character or too long)': 1 });
    // The OR-ed indicator with 'domain autuo.xicp.net' keeps its address.
    const mixed = 'indicator--4e4c4ad7-4909-456a-b6fa-e24a6f682a40';
    expect(feed.entries.filter((e) => e.ref === mixed).map((e) => e.value)).toEqual(['60.10.1.115']);
    expect(feed.skipped.find((s) => s.reason === 'not a domain name (empty label, space, control character or too long)')!.position).toBe(`pivy.json: ${mixed}`);
  });
});

function indicator(fields: Record<string, unknown>): Record<string, unknown> {
  return { type: 'indicator', spec_version: '2.1', id: 'indicator--1', pattern_type: 'stix', pattern: "[domain-name:value = 'Evil.Example.']", ...fields };
}

describe('parseStix rules', () => {
  it('reads a bare list of objects and canonicalises names and addresses', () => {
    const feed = parseStix(JSON.stringify([
      indicator({ name: 'n' }),
      indicator({ id: 'indicator--2', pattern: "[ipv6-addr:value = '2001:DB8:0:0::1'] OR [ipv4-addr:value ISSUBSET '192.0.2.0/24']" }),
      indicator({ id: 'indicator--3', pattern: "[ipv4-addr:value = '192.0.2.7/32']", description: 'd' }),
    ]), 'list.json', { now: NOW });
    expect(feed.entries).toEqual([
      { kind: 'domain', value: 'evil.example', ref: 'indicator--1', note: 'n' },
      { kind: 'address', value: '2001:db8::1', ref: 'indicator--2', note: '' },
      { kind: 'cidr', value: '192.0.2.0/24', ref: 'indicator--2', note: '' },
      { kind: 'address', value: '192.0.2.7', ref: 'indicator--3', note: 'd' },
    ]);
    expect(feed.skipped).toEqual([]);
  });

  it('skips revoked and expired objects, and other pattern languages, with their ids', () => {
    const feed = parseStix(JSON.stringify({ type: 'bundle', id: 'bundle--1', objects: [
      indicator({ id: 'indicator--revoked', revoked: true }),
      indicator({ id: 'indicator--expired', valid_until: '2026-01-01T00:00:00Z' }),
      indicator({ id: 'indicator--current', valid_until: '2027-01-01T00:00:00Z' }),
      indicator({ id: 'indicator--badtime', valid_until: 'soon' }),
      indicator({ id: 'indicator--snort', pattern_type: 'snort', pattern: 'alert any' }),
      { type: 'domain-name', id: 'domain-name--revoked', value: 'x.example', revoked: true },
      { type: 'ipv4-addr', id: 'ipv4-addr--host-bits', value: '192.0.2.1/24' },
      { type: 'domain-name', id: 'domain-name--nul', value: 'a\u0000.example' },
      { type: 'constructor', id: 'x--1', value: '192.0.2.1' },
    ] }), 'b.json', { now: NOW });
    // Host bits are cleared by the one value rule (values.ts): the SCO lists 192.0.2.0/24.
    expect(feed.entries.map((e) => [e.ref, e.value])).toEqual([['indicator--current', 'evil.example'], ['ipv4-addr--host-bits', '192.0.2.0/24']]);
    expect(feed.skipped).toEqual([
      { position: 'b.json: indicator--revoked', reason: 'revoked' },
      { position: 'b.json: indicator--expired', reason: 'expired (valid_until has passed)' },
      { position: 'b.json: indicator--badtime', reason: 'valid_until is not a timestamp' },
      { position: 'b.json: indicator--snort', reason: 'pattern_type snort unsupported' },
      { position: 'b.json: domain-name--revoked', reason: 'revoked' },
      { position: 'b.json: domain-name--nul', reason: 'not a domain name (empty label, space, control character or too long)' },
    ]);
  });

  it('notes infrastructure on SCOs it consists of or resolves to, and on addresses its domains resolve to', () => {
    const rel = (id: string, type: string, source: string, target: string, extra: Record<string, unknown> = {}) =>
      ({ type: 'relationship', id, relationship_type: type, source_ref: source, target_ref: target, ...extra });
    const feed = parseStix(JSON.stringify([
      rel('relationship--1', 'consists-of', 'infrastructure--flux', 'domain-name--d'),
      rel('relationship--2', 'resolves-to', 'domain-name--d', 'ipv4-addr--a'),
      rel('relationship--3', 'resolves-to', 'infrastructure--flux', 'ipv6-addr--b'),
      rel('relationship--4', 'consists-of', 'infrastructure--other', 'domain-name--d'),
      rel('relationship--5', 'consists-of', 'infrastructure--gone', 'ipv4-addr--a'),
      rel('relationship--6', 'consists-of', 'infrastructure--flux', 'ipv4-addr--c', { revoked: true }),
      rel('relationship--7', 'uses', 'infrastructure--flux', 'ipv4-addr--c'),
      { type: 'infrastructure', id: 'infrastructure--flux', name: 'Flux network 1' },
      { type: 'infrastructure', id: 'infrastructure--other', name: 'Other' },
      { type: 'infrastructure', id: 'infrastructure--gone', name: 'Gone', revoked: true },
      { type: 'domain-name', id: 'domain-name--d', value: 'flux.example' },
      { type: 'ipv4-addr', id: 'ipv4-addr--a', value: '192.0.2.1' },
      { type: 'ipv6-addr', id: 'ipv6-addr--b', value: '2001:db8::2' },
      { type: 'ipv4-addr', id: 'ipv4-addr--c', value: '192.0.2.3' },
    ]), 'net.json', { now: NOW });
    expect(feed.entries.map((e) => [e.ref, e.note])).toEqual([
      ['domain-name--d', 'infrastructure: Flux network 1; infrastructure: Other'],
      ['ipv4-addr--a', 'infrastructure: Flux network 1; infrastructure: Other'],
      ['ipv6-addr--b', 'infrastructure: Flux network 1'],
      ['ipv4-addr--c', ''],
    ]);
    expect(feed.skipped).toEqual([{ position: 'net.json: infrastructure--gone', reason: 'revoked' }]);
  });

  it('counts each unused comparison of an OR and refuses a pattern with AND whole', () => {
    const feed = parseStix(JSON.stringify([
      indicator({ pattern: "[domain-name:value = 'a.example' OR url:value = 'http://a' OR domain-name:value != 'b.example' OR ipv4-addr:value = 'x' OR domain-name:value ISSUBSET 'c.example']" }),
      indicator({ id: 'indicator--2', pattern: "[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']" }),
      indicator({ id: 'indicator--3', pattern: "[domain-name:value = 'a.example'\u0000]" }),
      indicator({ id: 'indicator--4', pattern: "[domain-name:value = 'a.example\\'] OR [domain-name:value = \\'b']" }),
    ]), 'or.json', { now: NOW });
    expect(feed.entries.map((e) => e.value)).toEqual(['a.example']);
    expect(feed.skipped.map((s) => `${s.position} ${s.reason}`)).toEqual([
      'or.json: indicator--1 object path url:value unsupported',
      'or.json: indicator--1 operator != on domain-name:value unsupported',
      'or.json: indicator--1 not an address',
      'or.json: indicator--1 operator ISSUBSET on domain-name:value unsupported',
      'or.json: indicator--2 AND of observations unsupported',
      'or.json: indicator--3 pattern has an unexpected character (code 0) at 32',
      // The escaped quote keeps the whole text one string; the name it makes is not a domain name.
      'or.json: indicator--4 not a domain name (empty label, space, control character or too long)',
    ]);
  });

  it('skips invalid JSON, a document that is not a bundle, and deep nesting once each, never throws', () => {
    expect(parseStix('{"type": "bundle", "objects": [', 'bad.json').skipped).toHaveLength(1);
    expect(parseStix('{"type": "bundle", "objects": [', 'bad.json').skipped[0]!.reason).toMatch(/^not JSON: /);
    expect(parseStix('{"type": "indicator"}', 'x.json').skipped).toEqual([{ position: 'x.json', reason: 'not a STIX bundle or list of objects' }]);
    const deep = parseStix(`${'['.repeat(100000)}${']'.repeat(100000)}`, 'deep.json');
    expect(deep.entries).toEqual([]);
    expect(deep.skipped).toHaveLength(1);
  });

  it('reads at most MAX_STIX_OBJECTS objects and says so', () => {
    const sco = '{"type":"ipv4-addr","id":"ipv4-addr--1","value":"192.0.2.1"}';
    const text = `[${Array.from({ length: MAX_STIX_OBJECTS + 5 }, () => sco).join(',')}]`;
    const feed = parseStix(text, 'huge.json');
    expect(feed.entries).toHaveLength(MAX_STIX_OBJECTS);
    expect(feed.skipped).toEqual([{ position: 'huge.json', reason: `bundle has ${MAX_STIX_OBJECTS + 5} objects, read the first ${MAX_STIX_OBJECTS}` }]);
  });
});
