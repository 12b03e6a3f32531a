import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Allowlist } from '../rpz/allowlist.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import type { Verdict } from '../../model/verdict.js';
import { intelListingVerdict } from '../../detect/intel-verdict.js';
import { ATTACK_FAST_FLUX_TAG, buildMispFeed, MISP_NAMESPACE, type MispEvent, type MispFeed, type MispFeedOptions } from './feed.js';
import { DOMAIN_IP_TEMPLATE } from './domain-ip.js';
import { mispFeedSink, writeMispFeed } from './sink.js';
import { uuidv5 } from '../stix/uuid5.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'cti', 'misp');
const REAL_EVENT = JSON.parse(readFileSync(join(FIXTURES, 'feed_event_57c4445b-c548-4654-af0b-4be3950d210f.json'), 'utf8')) as { Event: Record<string, unknown> };

interface TemplateAttribute {
  'misp-attribute': string;
  multiple?: boolean;
  categories?: string[];
}
interface Template {
  name: string;
  uuid: string;
  version: number;
  'meta-category': string;
  required?: string[];
  requiredOneOf?: string[];
  attributes: Record<string, TemplateAttribute>;
}
const DOMAIN_IP = JSON.parse(readFileSync(join(FIXTURES, 'objects', 'domain-ip.json'), 'utf8')) as Template;

const OPTIONS: MispFeedOptions = { org: { name: 'Example CERT', uuid: '5d8c3a2e-1f3b-4c6a-9d0e-2b7f4a1c9e55' }, tlp: 'amber', distribution: 5 };

/** Every way an object can break MISP's template: unknown relation, wrong type, repeated non-multiple, required missing. */
function templateErrors(object: MispEvent['Object'][number], template: Template): string[] {
  const errors: string[] = [];
  if (object.name !== template.name) errors.push(`name ${object.name}`);
  if (object.template_uuid !== template.uuid) errors.push('template_uuid');
  if (object.template_version !== String(template.version)) errors.push('template_version');
  if (object['meta-category'] !== template['meta-category']) errors.push('meta-category');
  const count = new Map<string, number>();
  for (const a of object.Attribute) {
    const relation = a.object_relation ?? '';
    const spec = template.attributes[relation];
    if (spec === undefined) {
      errors.push(`unknown relation ${relation}`);
      continue;
    }
    if (a.type !== spec['misp-attribute']) errors.push(`${relation}: type ${a.type} is not ${spec['misp-attribute']}`);
    if (spec.categories !== undefined && !spec.categories.includes(a.category)) errors.push(`${relation}: category ${a.category}`);
    count.set(relation, (count.get(relation) ?? 0) + 1);
  }
  for (const [relation, n] of count) if (n > 1 && template.attributes[relation]?.multiple !== true) errors.push(`${relation} repeated`);
  for (const r of template.required ?? []) if (!count.has(r)) errors.push(`required ${r} missing`);
  if (template.requiredOneOf !== undefined && !template.requiredOneOf.some((r) => count.has(r))) errors.push('none of requiredOneOf');
  return errors;
}

function shapeOf(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

function fluxVerdicts(): Verdict[] {
  const net = (domain: string, addresses: string[]): Verdict => {
    const v = flaggedVerdict(domain, { addresses });
    v.features = { ...v.features, network_id: 1, network_size: 40, network_asns: 12 };
    return v;
  };
  return [
    net('my.vikoko.info', ['192.0.2.1', '192.0.2.2', '198.51.100.7']),
    net('anything.kezenonizi.net', ['192.0.2.2', '203.0.113.9']),
    flaggedVerdict('lonely.example.org', { label: 'suspicious', flux: null, addresses: ['2001:db8::5', { address: '198.51.100.200', known: true }] }),
  ];
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fluxhound-misp-'));
  dirs.push(d);
  return d;
}

describe('the domain-ip template', () => {
  it('is the one in MISP/misp-objects (uuid, version, meta-category, description)', () => {
    expect(DOMAIN_IP_TEMPLATE.uuid).toBe(DOMAIN_IP.uuid);
    expect(DOMAIN_IP_TEMPLATE.version).toBe(DOMAIN_IP.version);
    expect(DOMAIN_IP_TEMPLATE.metaCategory).toBe(DOMAIN_IP['meta-category']);
    expect(DOMAIN_IP_TEMPLATE.description).toBe((DOMAIN_IP as unknown as { description: string }).description);
  });

  it('the checker refuses a broken object, so a pass means something', () => {
    const feed = buildMispFeed(fluxVerdicts(), OPTIONS);
    const object = structuredClone(feed.events[0]!.Object[0]!);
    object.Attribute[0]!.type = 'hostname';
    object.Attribute.push({ ...object.Attribute[0]!, object_relation: 'nonsense' });
    object.Attribute.push({ ...object.Attribute.find((a) => a.object_relation === 'first-seen')! });
    expect(templateErrors(object, DOMAIN_IP)).toEqual(['domain: type hostname is not domain', 'unknown relation nonsense', 'first-seen repeated']);
    expect(templateErrors({ ...object, Attribute: [] }, DOMAIN_IP)).toEqual(['none of requiredOneOf']);
  });
});

describe('buildMispFeed', () => {
  const feed = buildMispFeed(fluxVerdicts(), OPTIONS);

  it('one event per flux network and one per day for names in no network', () => {
    expect(feed.events.map((e) => e.info).sort()).toEqual([
      'fluxhound: fast-flux names flagged on 2025-04-03 (1 names)',
      'fluxhound: fast-flux network fn-1 (2 names, 40 addresses in 12 ASNs)',
    ]);
    const network = feed.events.find((e) => e.info.includes('fn-1'))!;
    expect(network.Object.map((o) => o.Attribute.find((a) => a.object_relation === 'domain')?.value)).toEqual(['anything.kezenonizi.net', 'my.vikoko.info']);
    expect(network.threat_level_id).toBe('1');
    const day = feed.events.find((e) => e.info.includes('2025-04-03'))!;
    expect(day.date).toBe('2025-04-03');
    expect(day.threat_level_id).toBe('2');
  });

  it('every object matches the domain-ip template', () => {
    const objects = feed.events.flatMap((e) => e.Object);
    expect(objects).toHaveLength(3);
    for (const o of objects) expect(templateErrors(o, DOMAIN_IP)).toEqual([]);
  });

  it('every event has the real feed event’s top-level keys and types (plus Object)', () => {
    const expected = Object.fromEntries(Object.entries(REAL_EVENT.Event).map(([k, v]) => [k, shapeOf(v)]));
    expected.Object = 'array';
    const realAttribute = (REAL_EVENT.Event.Attribute as Record<string, unknown>[])[0]!;
    for (const e of feed.events) {
      expect(Object.fromEntries(Object.entries(e).map(([k, v]) => [k, shapeOf(v)]))).toEqual(expected);
      expect(Object.keys(e.Orgc).sort()).toEqual(Object.keys(REAL_EVENT.Event.Orgc as object).sort());
      for (const t of e.Tag) expect(Object.keys(t).sort()).toEqual(Object.keys((REAL_EVENT.Event.Tag as object[])[0]!).sort());
      for (const a of [...e.Attribute, ...e.Object.flatMap((o) => o.Attribute)]) {
        for (const [k, v] of Object.entries(realAttribute)) expect([k, shapeOf(a[k as keyof typeof a])]).toEqual([k, shapeOf(v)]);
        expect(a.distribution).toBe('5');
        expect(a.uuid).toMatch(UUID_RE);
      }
      expect(e.uuid).toMatch(UUID_RE);
      expect(e.timestamp).toMatch(/^\d+$/);
      expect(e.date).toMatch(/^\d{4}-\d\d-\d\d$/);
    }
  });

  it('tags TLP, ATT&CK T1568.001 and fluxhound; Orgc is the configured org', () => {
    for (const e of feed.events) {
      expect(e.Tag.map((t) => t.name)).toEqual(['tlp:amber', ATTACK_FAST_FLUX_TAG, 'fluxhound']);
      expect(e.Orgc).toEqual(OPTIONS.org);
    }
    expect(ATTACK_FAST_FLUX_TAG).toBe('misp-galaxy:mitre-attack-pattern="Fast Flux DNS - T1568.001"');
  });

  it('domains and flux addresses are IDS attributes; a CDN/cloud address is never shared', () => {
    const values = feed.events.flatMap((e) => e.Attribute.map((a) => `${a.type} ${a.value} ${a.to_ids}`));
    expect(values.sort()).toEqual([
      'domain anything.kezenonizi.net true',
      'domain lonely.example.org true',
      'domain my.vikoko.info true',
      'ip-dst 192.0.2.1 true',
      'ip-dst 192.0.2.2 true', // once per event, though both names answered it
      'ip-dst 198.51.100.7 true',
      'ip-dst 2001:db8::5 true',
      'ip-dst 203.0.113.9 true',
    ]);
    expect(JSON.stringify(feed.files)).not.toContain('198.51.100.200');
    expect(feed.stats.skipped.addresses).toBe(1);
    const domain = feed.events.flatMap((e) => e.Attribute).find((a) => a.value === 'my.vikoko.info')!;
    expect(domain.comment).toBe('fast-flux single score 90: 74 IPs in 19 ASNs across 17 countries and 63 prefixes');
  });

  it('the manifest lists every event file with its summary, as MISP reads it', () => {
    const eventFiles = feed.files.filter((f) => f.name !== 'manifest.json' && f.name !== 'hashes.csv');
    const manifest = JSON.parse(feed.files.find((f) => f.name === 'manifest.json')!.text) as MispFeed['manifest'];
    expect(Object.keys(manifest).sort()).toEqual(eventFiles.map((f) => f.name.slice(0, -5)).sort());
    for (const f of eventFiles) {
      const { Event: e } = JSON.parse(f.text) as { Event: MispEvent };
      expect(f.name).toBe(`${e.uuid}.json`);
      expect(manifest[e.uuid]).toEqual({ Orgc: e.Orgc, Tag: e.Tag, info: e.info, date: e.date, analysis: e.analysis, threat_level_id: e.threat_level_id, timestamp: e.timestamp });
    }
  });

  it('hashes.csv holds md5(value),event-uuid for every attribute, objects’ included', () => {
    const lines = feed.files.find((f) => f.name === 'hashes.csv')!.text.split('\n');
    expect(lines.pop()).toBe('');
    const expected = feed.events.flatMap((e) =>
      [...e.Attribute, ...e.Object.flatMap((o) => o.Attribute)].map((a) => `${createHash('md5').update(a.value).digest('hex')},${e.uuid}`),
    );
    expect(lines).toEqual(expected);
    expect(lines.length).toBe(feed.stats.attributes + feed.events.reduce((n, e) => n + e.Object.reduce((m, o) => m + o.Attribute.length, 0), 0));
    for (const l of lines) expect(l).toMatch(/^[0-9a-f]{32},[0-9a-f-]{36}$/);
  });

  it('is deterministic: the same verdicts in another order give the same bytes, and ids are UUIDv5 of the content', () => {
    const again = buildMispFeed([...fluxVerdicts()].reverse(), OPTIONS);
    expect(again.files).toEqual(feed.files);
    expect(uuidv5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'https://fluxhound.dev/ns/misp')).toBe(MISP_NAMESPACE);
    // RFC 9562 appendix A.4's example: DNS namespace, "www.example.com".
    expect(uuidv5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    const otherOrg = buildMispFeed(fluxVerdicts(), { ...OPTIONS, org: { name: 'B', uuid: '00000000-0000-4000-8000-000000000001' } });
    expect(otherOrg.events.map((e) => e.uuid)).not.toEqual(expect.arrayContaining([feed.events[0]!.uuid]));
  });

  it('never shares an injected answer, a public suffix, an allowlisted name or address, or a name MISP cannot hold', () => {
    const injected = flaggedVerdict('censored.example.com', { addresses: ['192.0.2.9'] });
    injected.tampering = { kind: 'injected', reasons: [], answers: 3 };
    const suffix = flaggedVerdict('github.io', { addresses: ['192.0.2.10'] });
    const escaped = flaggedVerdict('bad\\032name.example.com', { addresses: ['192.0.2.11'] });
    const allowed = flaggedVerdict('www.friend.example', { registered: 'friend.example', addresses: ['192.0.2.12'] });
    const kept = flaggedVerdict('kept.example.net', { addresses: ['192.0.2.13', '192.0.2.14'] });
    const f = buildMispFeed([injected, suffix, escaped, allowed, kept], { ...OPTIONS, allowlist: new Allowlist(['friend.example', '192.0.2.14']) });
    expect(f.stats.skipped).toEqual({ notActionable: 1, invalidName: 1, publicSuffix: 1, allowlisted: 1, addresses: 1 });
    expect(f.events.flatMap((e) => e.Attribute.map((a) => a.value))).toEqual(['kept.example.net', '192.0.2.13']);
  });

  it("never re-shares a feed's listing of a name (another team's finding), but shares our detection a feed also lists", () => {
    const listing = { feed: 'partner-a', ref: 'indicator--1', kind: 'domain' as const, value: 'listed.example.com', note: '', confidence: 80, action: 'block' as const };
    const listed = intelListingVerdict('listed.example.com', listing, 1743638184);
    const detected = { ...flaggedVerdict('both.example.net', { addresses: ['192.0.2.13'] }), intel: [{ ...listing, value: 'both.example.net' }] };
    const f = buildMispFeed([listed, detected], OPTIONS);
    expect(f.stats.skipped.notActionable).toBe(1);
    expect(f.events.flatMap((e) => e.Attribute.map((a) => a.value))).toEqual(['both.example.net', '192.0.2.13']);
  });

  it('a deny-list entry (no evidence) is shared as its domain alone, in its day’s event', () => {
    const denied = flaggedVerdict('denied.example.com', { reasons: ['on the deny list: phishing kit'] });
    denied.listed = { list: 'deny', comment: 'phishing kit', by: 'ops', at: 1743638184 };
    const f = buildMispFeed([denied], OPTIONS);
    expect(f.events).toHaveLength(1);
    expect(f.events[0]!.Attribute.map((a) => `${a.type} ${a.value}`)).toEqual(['domain denied.example.com']);
    expect(templateErrors(f.events[0]!.Object[0]!, DOMAIN_IP)).toEqual([]);
  });

  it('a run with nothing flagged writes an empty manifest and an empty hashes.csv (MISP reads "no events")', () => {
    const f = buildMispFeed([], OPTIONS);
    expect(f.files).toEqual([
      { name: 'manifest.json', text: '{}\n' },
      { name: 'hashes.csv', text: '' },
    ]);
  });

  it('hostile reasons (quotes, backslashes, newlines, control bytes) give valid JSON and one-line comments', () => {
    const hostile = flaggedVerdict('evil.example.com', {
      addresses: ['192.0.2.1'],
      reasons: ['say "hi"\\n', 'line\nbreak\r\u0000\u001b[31m', '}]},{"Event":{'],
    });
    const f = buildMispFeed([hostile], OPTIONS);
    for (const file of f.files.filter((x) => x.name.endsWith('.json'))) expect(() => JSON.parse(file.text) as unknown).not.toThrow();
    const { Event: e } = JSON.parse(f.files[0]!.text) as { Event: MispEvent };
    expect(e.Attribute[0]!.comment).toBe('fast-flux single score 90: say "hi"\\n; line break [31m; }]},{"Event":{');
    expect(f.files[0]!.text.split('\n')).toHaveLength(2);
  });
});

describe('writing the feed directory', () => {
  it('writes every file, replaces the old feed and removes the events it no longer has', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'index.html'), 'not ours');
    const first = buildMispFeed(fluxVerdicts(), OPTIONS);
    await writeMispFeed(dir, first);
    expect(readdirSync(dir).sort()).toEqual([...first.files.map((f) => f.name), 'index.html'].sort());
    for (const f of first.files) expect(readFileSync(join(dir, f.name), 'utf8')).toBe(f.text);
    const second = buildMispFeed(fluxVerdicts().slice(2), OPTIONS);
    expect(await writeMispFeed(dir, second)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([...second.files.map((f) => f.name), 'index.html'].sort());
  });

  it('the sink keeps at most maxNames names and counts the rest', async () => {
    const dir = tempDir();
    const sink = mispFeedSink(join(dir, 'feed'), OPTIONS, 2);
    for (const v of fluxVerdicts()) sink.verdict(v);
    sink.verdict(fluxVerdicts()[0]!); // a name already held is updated, not dropped
    await sink.close();
    expect(sink.stats.dropped).toBe(1);
    expect(sink.stats.feed?.events).toBe(1);
    expect(readdirSync(join(dir, 'feed'))).toHaveLength(3);
  });
});
