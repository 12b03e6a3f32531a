import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_MISP_ATTRIBUTES, parseMispEvent, parseMispManifest } from './index.js';

const FEED_EVENT = readFileSync(new URL('../../../test/fixtures/cti/misp/feed_event_57c4445b-c548-4654-af0b-4be3950d210f.json', import.meta.url), 'utf8');
const DOMAIN_IP_TEMPLATE = JSON.parse(readFileSync(new URL('../../../test/fixtures/cti/misp/object-template-domain-ip.json', import.meta.url), 'utf8')) as {
  attributes: Record<string, { 'misp-attribute': string }>;
};

describe('parseMispEvent on the PyMISP feed event (Ransomware - Xorist)', () => {
  it('has no network attributes: its 9 attributes are counted by type', () => {
    const feed = parseMispEvent(FEED_EVENT, '57c4445b.json');
    expect(feed.entries).toEqual([]);
    const byReason: Record<string, number> = {};
    for (const s of feed.skipped) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
    // Read off the file: 2 link, 1 each of comment, text, filename, md5, sha1, sha256, regkey|value.
    expect(byReason).toEqual({
      'type "link" unsupported': 2, 'type "comment" unsupported': 1, 'type "text" unsupported': 1, 'type "filename" unsupported': 1,
      'type "md5" unsupported': 1, 'type "sha1" unsupported': 1, 'type "sha256" unsupported': 1, 'type "regkey|value" unsupported': 1,
    });
    expect(feed.skipped[0]!.position).toBe('57c4445b.json: 57c5300c-0560-4146-bfaa-40e802de0b81');
  });
});

/** An object as MISP writes a domain-ip object: the attribute types come from the real template. */
function domainIpObject(uuid: string, deleted = false): Record<string, unknown> {
  const type = (relation: string): string => DOMAIN_IP_TEMPLATE.attributes[relation]!['misp-attribute'];
  return {
    name: 'domain-ip', uuid, deleted,
    Attribute: [
      { uuid: `${uuid}-d`, object_relation: 'domain', type: type('domain'), value: 'C2.Example.NET', comment: '' },
      { uuid: `${uuid}-h`, object_relation: 'hostname', type: type('hostname'), value: 'www.c2.example.net', comment: 'seen resolving' },
      { uuid: `${uuid}-i`, object_relation: 'ip', type: type('ip'), value: '203.0.113.9', comment: '' },
      { uuid: `${uuid}-p`, object_relation: 'port', type: type('port'), value: '443', comment: '' },
      { uuid: `${uuid}-f`, object_relation: 'first-seen', type: type('first-seen'), value: '2026-01-01T00:00:00Z', comment: '' },
    ],
  };
}

describe('parseMispEvent rules', () => {
  it('reads domain, hostname, ip-dst, ip-src and the split types, at top level and in objects', () => {
    const event = { Event: {
      info: 'Flux botnet', uuid: 'e',
      Attribute: [
        { uuid: 'a1', type: 'domain|ip', value: 'flux.example|198.51.100.7', comment: 'pair' },
        { uuid: 'a2', type: 'ip-dst|port', value: '2001:DB8::7|8080' },
        { uuid: 'a3', type: 'ip-src', value: '198.51.100.0/24', comment: '' },
        { uuid: 'a4', type: 'hostname', value: 'gone.example', deleted: true },
        { uuid: 'a5', type: 'domain', value: 'not a name' },
        { uuid: 'a6', type: 'ip-dst', value: '198.51.100.1/24' },
        { uuid: 'a7', type: 'domain|ip', value: 'only.example' },
        { uuid: 'a8', type: 'url', value: 'http://flux.example/' },
        { uuid: 'a9', type: 'domain', value: 7 },
        'junk',
      ],
      Object: [domainIpObject('o1'), domainIpObject('o2', true), null],
    } };
    const feed = parseMispEvent(JSON.stringify(event), 'e.json');
    expect(feed.entries).toEqual([
      { kind: 'domain', value: 'flux.example', ref: 'a1', note: 'pair' },
      { kind: 'address', value: '198.51.100.7', ref: 'a1', note: 'pair' },
      { kind: 'address', value: '2001:db8::7', ref: 'a2', note: 'Flux botnet' },
      { kind: 'cidr', value: '198.51.100.0/24', ref: 'a3', note: 'Flux botnet' },
      // Host bits cleared by the one value rule (values.ts), as a list or STIX feed would.
      { kind: 'cidr', value: '198.51.100.0/24', ref: 'a6', note: 'Flux botnet' },
      { kind: 'domain', value: 'c2.example.net', ref: 'o1-d', note: 'Flux botnet' },
      { kind: 'domain', value: 'www.c2.example.net', ref: 'o1-h', note: 'seen resolving' },
      { kind: 'address', value: '203.0.113.9', ref: 'o1-i', note: 'Flux botnet' },
    ]);
    expect(feed.skipped.map((s) => `${s.position} ${s.reason}`)).toEqual([
      'e.json: a4 deleted attribute',
      'e.json: a5 domain: not a domain name (empty label, space, control character or too long)',
      'e.json: a7 domain|ip value has 1 part(s), expected 2',
      'e.json: a8 type "url" unsupported',
      'e.json: a9 attribute has no value',
      'e.json: Attribute[9] not a MISP attribute',
      'e.json: o1-p type "port" unsupported',
      'e.json: o1-f type "datetime" unsupported',
      'e.json: o2 deleted object',
      'e.json: Object[2] not a MISP object',
    ]);
  });

  it('skips invalid JSON and a file without an Event once each', () => {
    expect(parseMispEvent('{"Event": {', 'x.json').skipped.map((s) => s.reason.slice(0, 10))).toEqual(['not JSON: ']);
    expect(parseMispEvent('{"response": []}', 'x.json')).toEqual({ entries: [], skipped: [{ position: 'x.json', reason: 'no Event object' }] });
    expect(parseMispEvent('[]', 'x.json').skipped).toEqual([{ position: 'x.json', reason: 'no Event object' }]);
  });

  it('reads at most MAX_MISP_ATTRIBUTES attributes and says so', () => {
    const attribute = { uuid: 'a', type: 'ip-dst', value: '192.0.2.1' };
    const event = { Event: { info: '', Attribute: Array.from({ length: MAX_MISP_ATTRIBUTES + 1 }, () => attribute), Object: [domainIpObject('o')] } };
    const feed = parseMispEvent(JSON.stringify(event), 'big.json');
    expect(feed.entries).toHaveLength(MAX_MISP_ATTRIBUTES);
    expect(feed.skipped).toEqual([{ position: 'big.json', reason: `event has more than ${MAX_MISP_ATTRIBUTES} attributes, read the first ${MAX_MISP_ATTRIBUTES}` }]);
  });

  it('reads exactly MAX_MISP_ATTRIBUTES attributes without a truncation skip, and counts one in an object past them', () => {
    const attribute = { uuid: 'a', type: 'ip-dst', value: '192.0.2.1' };
    const exact = { Event: { info: '', Attribute: Array.from({ length: MAX_MISP_ATTRIBUTES }, () => attribute) } };
    expect(parseMispEvent(JSON.stringify(exact), 'exact.json').skipped).toEqual([]);
    const past = { Event: { info: '', Attribute: Array.from({ length: MAX_MISP_ATTRIBUTES - 1 }, () => attribute), Object: [domainIpObject('o')] } };
    const feed = parseMispEvent(JSON.stringify(past), 'past.json');
    expect(feed.entries).toHaveLength(MAX_MISP_ATTRIBUTES);
    expect(feed.skipped.map((s) => s.reason)).toEqual([`event has more than ${MAX_MISP_ATTRIBUTES} attributes, read the first ${MAX_MISP_ATTRIBUTES}`]);
  });
});

describe('parseMispManifest', () => {
  it('lists the event uuids and skips keys that are not uuids (they become file names)', () => {
    const manifest = {
      '57c4445b-c548-4654-af0b-4be3950d210f': { info: 'Ransomware - Xorist', timestamp: '1472547840' },
      '5B3F0E7A-0000-4000-8000-00000000ABCD': { info: 'upper case' },
      '../../etc/passwd': { info: 'path' },
    };
    expect(parseMispManifest(JSON.stringify(manifest), 'feed/manifest.json')).toEqual({
      uuids: ['57c4445b-c548-4654-af0b-4be3950d210f', '5b3f0e7a-0000-4000-8000-00000000abcd'],
      skipped: [{ position: 'feed/manifest.json: "../../etc/passwd"', reason: 'event key is not a uuid' }],
    });
  });

  it('skips a manifest that is not JSON or not an object', () => {
    expect(parseMispManifest('nope').skipped[0]!.position).toBe('manifest.json');
    expect(parseMispManifest('["57c4445b-c548-4654-af0b-4be3950d210f"]')).toEqual({
      uuids: [], skipped: [{ position: 'manifest.json', reason: 'manifest is not an object of events' }],
    });
  });
});
