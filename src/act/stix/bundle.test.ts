import { describe, expect, it } from 'vitest';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { intelListingVerdict } from '../../detect/intel-verdict.js';
import { buildStixBundle, isShared, stixText, stixVerdictOf, type StixOptions } from './bundle.js';
import { scoId } from './uuid5.js';

const OPTIONS: StixOptions = { identity: 'fluxhound', tlp: 'green', expiry: 3600, suspicious: false };
const byType = (b: ReturnType<typeof buildStixBundle>, type: string) => b.objects.filter((o) => o.type === type);

describe('buildStixBundle', () => {
  it('writes an indicator valid from the first flag until last seen + expiry, confidence from the score', () => {
    const v = flaggedVerdict('www.flux.example', { addresses: ['192.0.2.7', '2001:db8::7'], reasons: ['40 IPs in 12 ASNs', 'TTL 60 s'] });
    const [indicator] = byType(buildStixBundle([v], [], OPTIONS), 'indicator');
    expect(indicator).toMatchObject({
      pattern: "[domain-name:value = 'www.flux.example']",
      valid_from: '2025-04-03T00:16:24.000Z',
      valid_until: '2025-04-03T04:58:26.000Z',
      confidence: 90,
      indicator_types: ['malicious-activity'],
    });
    expect(indicator!.description).toContain('40 IPs in 12 ASNs; TTL 60 s');
  });

  it('gives addresses the spec ids, IPv6 as ipv6-addr, each related by resolves-to', () => {
    const b = buildStixBundle([flaggedVerdict('a.flux.example', { addresses: ['192.0.2.7', '2001:db8::7'] })], [], OPTIONS);
    expect(byType(b, 'ipv4-addr').map((o) => o.id)).toEqual([scoId('ipv4-addr', { value: '192.0.2.7' })]);
    expect(byType(b, 'ipv6-addr').map((o) => o.value)).toEqual(['2001:db8::7']);
    const domain = scoId('domain-name', { value: 'a.flux.example' });
    expect(byType(b, 'relationship').map((r) => [r.relationship_type, r.source_ref]).sort()).toEqual([
      ['resolves-to', domain],
      ['resolves-to', domain],
    ]);
  });

  it('never shares a CDN/cloud address, an injected name, a deny-list entry, or a suspicious one unless asked', () => {
    const cdn = flaggedVerdict('cdn.flux.example', { addresses: [{ address: '198.51.100.1', known: true }, '192.0.2.9'] });
    const injected = { ...flaggedVerdict('censored.example'), tampering: { kind: 'injected' as const, reasons: [], answers: 3 } };
    const listed = { ...flaggedVerdict('denied.example'), listed: { list: 'deny' as const, comment: '', by: 'op', at: 0 } };
    const suspicious = flaggedVerdict('maybe.example', { label: 'suspicious' });
    const b = buildStixBundle([cdn, injected, listed, suspicious], [], OPTIONS);
    expect(byType(b, 'indicator').map((i) => i.name)).toEqual(['cdn.flux.example']);
    expect(byType(b, 'ipv4-addr').map((a) => a.value)).toEqual(['192.0.2.9']);
    const withSuspicious = buildStixBundle([suspicious], [], { ...OPTIONS, suspicious: true });
    expect(byType(withSuspicious, 'indicator').map((i) => i.indicator_types)).toEqual([['anomalous-activity']]);
  });

  it("never re-shares a feed's listing of a name, in analyze's sink as in serve's (isShared), but shares our detection a feed also lists", () => {
    const listing = { feed: 'partner-a', ref: 'indicator--1', kind: 'domain' as const, value: 'listed.example', note: '', confidence: 80, action: 'block' as const };
    const listed = intelListingVerdict('listed.example', listing, 1743638184);
    const detected = { ...flaggedVerdict('both.example'), intel: [{ ...listing, value: 'both.example' }] };
    expect([listed, detected].filter((v) => isShared(v, OPTIONS)).map((v) => v.domain)).toEqual(['both.example']);
  });

  it('gives each flagging episode of a name its own indicator, whose created never changes (STIX 2.1 versioning)', () => {
    const first = flaggedVerdict('again.flux.example');
    // Flagged again after the first episode expired: a later first_flagged, later times.
    const again = { ...first, first_seen: '2025-05-10T08:00:00.000Z', first_flagged: '2025-05-10T08:00:05.000Z', last_seen: '2025-05-10T09:00:00.000Z' };
    const [one] = byType(buildStixBundle([first], [], OPTIONS), 'indicator');
    const [two] = byType(buildStixBundle([again], [], OPTIONS), 'indicator');
    expect(two!.id).not.toBe(one!.id);
    expect([one!.created, two!.created]).toEqual([first.first_flagged, again.first_flagged]);
    // The same episode, seen longer (a later version): same id, same created, a later modified.
    const [longer] = byType(buildStixBundle([{ ...first, last_seen: '2025-04-04T00:00:00.000Z' }], [], OPTIONS), 'indicator');
    expect(longer).toMatchObject({ id: one!.id, created: one!.created, modified: '2025-04-04T00:00:00.000Z' });
  });

  it('escapes a hostile name in the pattern so the literal round-trips', () => {
    const name = "x'] OR [ipv4-addr:value = '0.0.0.0/0'] OR [domain-name:value = '\\";
    const [indicator] = byType(buildStixBundle([flaggedVerdict(name)], [], OPTIONS), 'indicator');
    const literal = /^\[domain-name:value = '((?:[^'\\]|\\['\\])*)'\]$/.exec(indicator!.pattern as string);
    expect(literal?.[1]?.replace(/\\(['\\])/g, '$1')).toBe(name);
  });

  it('keeps one indicator per name when a registered domain is judged in both scopes (the stronger)', () => {
    const own = flaggedVerdict('flux.example', { reasons: ['own'] });
    const together = { ...flaggedVerdict('flux.example', { reasons: ['together'] }), scope: 'registered_domain' as const, score: 95 };
    const indicators = byType(buildStixBundle([own, together], [], OPTIONS), 'indicator');
    expect(indicators.length).toBe(1);
    expect(indicators[0]!.description).toMatch(/together/);
  });

  it('groups a network into one botnet infrastructure with consists-of and indicates', () => {
    const a = { ...flaggedVerdict('a.flux.example', { addresses: ['192.0.2.1'] }), network: 'fn-1' };
    const c = { ...flaggedVerdict('c.flux.example', { addresses: ['192.0.2.1', '192.0.2.2'] }), network: 'fn-1' };
    const summary = { id: 'fn-1', domains: 2, sample_domains: [], addresses: 2, asns: 1, countries: 1, first_seen: '2025-04-02T00:00:00.000Z', last_seen: '2025-04-03T03:58:26.000Z' };
    const b = buildStixBundle([a, c], [summary], OPTIONS);
    const [infra] = byType(b, 'infrastructure');
    expect(infra).toMatchObject({ infrastructure_types: ['botnet'], first_seen: '2025-04-02T00:00:00.000Z' });
    const rels = byType(b, 'relationship');
    // Two domains and two distinct addresses; two indicators.
    expect(rels.filter((r) => r.relationship_type === 'consists-of' && r.source_ref === infra!.id).length).toBe(4);
    expect(rels.filter((r) => r.relationship_type === 'indicates' && r.target_ref === infra!.id).length).toBe(2);
  });

  it('is byte-identical whatever order the verdicts come in', () => {
    const vs = ['b.flux.example', 'a.flux.example', 'c.flux.example'].map((d, i) => flaggedVerdict(d, { addresses: [`192.0.2.${i + 1}`] }));
    expect(stixText(buildStixBundle(vs, [], OPTIONS))).toBe(stixText(buildStixBundle([...vs].reverse(), [], OPTIONS)));
  });
});

describe('stixVerdictOf (what the sink holds per name)', () => {
  it('keeps what the bundle uses, capped, and the bundle comes out the same', () => {
    const addresses = [{ address: '198.51.100.1', known: true }, ...Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)];
    const v = { ...flaggedVerdict('big.flux.example', { addresses, reasons: Array.from({ length: 30 }, (_, i) => `reason ${i}`) }), network: 'fn-2' };
    const slim = stixVerdictOf(v);
    expect(slim.evidence.addresses.length).toBe(256);
    expect(slim.evidence.addresses.some((a) => a.known)).toBe(false);
    expect(slim.reasons.length).toBe(20);
    expect('features' in slim).toBe(false);
    expect(stixText(buildStixBundle([slim], [], OPTIONS))).toBe(stixText(buildStixBundle([v], [], OPTIONS)));
  });
});

describe('stix config', () => {
  it('offers exactly the TLP levels the markings know', async () => {
    const { configSchema } = await import('../../config/schema.js');
    const { TLP_LEVELS } = await import('./tlp.js');
    for (const tlp of TLP_LEVELS) expect(configSchema.parse({ stix: { tlp } }).stix.tlp).toBe(tlp);
    expect(() => configSchema.parse({ stix: { tlp: 'white' } })).toThrow();
    expect(configSchema.parse({}).stix).toEqual({ identity: 'fluxhound', tlp: 'amber', suspicious: false });
  });
});
