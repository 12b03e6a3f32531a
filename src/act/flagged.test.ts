import { describe, expect, it } from 'vitest';
import { flaggedVerdict } from '../../test/helpers/verdicts.js';
import { FlaggedDomains } from './flagged.js';

const seconds = (iso: string): number => Date.parse(iso) / 1000;

describe('FlaggedDomains', () => {
  it('blocks a flagged name, its registered domain and everything under it, nothing else', () => {
    const flagged = new FlaggedDomains();
    expect(flagged.upsert(flaggedVerdict('login.evil.example', { registered: 'evil.example' }))).toBe(true);
    expect(flagged.match('login.evil.example')?.domain).toBe('login.evil.example');
    expect(flagged.match('evil.example')?.domain).toBe('login.evil.example');
    expect(flagged.match('a.b.evil.example')?.domain).toBe('login.evil.example');
    expect(flagged.match('notevil.example')).toBeNull();
    expect(flagged.match('example')).toBeNull();
  });

  it('blocks the delegated zone of a verdict below its registered domain, not the provider and its other customers', () => {
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('www.bad.freesub.example', { registered: 'freesub.example', zone: 'bad.freesub.example' }));
    expect(flagged.match('www.bad.freesub.example')?.domain).toBe('www.bad.freesub.example');
    expect(flagged.match('bad.freesub.example')?.domain).toBe('www.bad.freesub.example');
    expect(flagged.match('mail.bad.freesub.example')?.domain).toBe('www.bad.freesub.example');
    expect(flagged.match('freesub.example')).toBeNull();
    expect(flagged.match('good.freesub.example')).toBeNull();
    // A zone that does not enclose the name, or is not below the registered domain (a hostile feed), is ignored: the registered domain is blocked.
    flagged.upsert(flaggedVerdict('x.other.example', { registered: 'other.example', zone: 'y.other.example' }));
    flagged.upsert(flaggedVerdict('x.third.example', { registered: 'third.example', zone: 'example' }));
    expect(flagged.match('z.other.example')?.domain).toBe('x.other.example');
    expect(flagged.match('z.third.example')?.domain).toBe('x.third.example');
    expect(flagged.match('unrelated.example')).toBeNull();
    // The allowlist holds for the zone too.
    const allowing = new FlaggedDomains({ isAllowed: (n) => n === 'bad.freesub.example' });
    expect(allowing.upsert(flaggedVerdict('www.bad.freesub.example', { registered: 'freesub.example', zone: 'bad.freesub.example' }))).toBe(false);
  });

  it('moves the block when a later verdict names a zone, and releases it on removal', () => {
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('www.bad.freesub.example', { registered: 'freesub.example' }));
    expect(flagged.match('good.freesub.example')).not.toBeNull();
    expect(flagged.upsert(flaggedVerdict('www.bad.freesub.example', { registered: 'freesub.example', zone: 'bad.freesub.example' }))).toBe(true);
    expect(flagged.match('good.freesub.example')).toBeNull();
    expect(flagged.match('a.bad.freesub.example')).not.toBeNull();
    flagged.remove('www.bad.freesub.example');
    expect(flagged.match('a.bad.freesub.example')).toBeNull();
  });

  it('never takes benign verdicts or allowlisted names, and bumps the serial only on change', () => {
    const flagged = new FlaggedDomains({ isAllowed: (n) => n === 'good.example' });
    const changes: number[] = [];
    flagged.onChange((s) => changes.push(s));
    expect(flagged.upsert(flaggedVerdict('www.good.example', { registered: 'good.example' }))).toBe(false);
    expect(flagged.upsert(flaggedVerdict('x.example', { label: 'benign' }))).toBe(false);
    expect(flagged.upsert(flaggedVerdict('x.example', { addresses: ['203.0.113.1'] }))).toBe(true);
    // Same label, flux and addresses: no change.
    expect(flagged.upsert(flaggedVerdict('x.example', { addresses: ['203.0.113.1'], lastSeen: '2025-04-03T05:00:00.000Z' }))).toBe(false);
    // The flux rotated into a new address: the blocklists must follow.
    expect(flagged.upsert(flaggedVerdict('x.example', { addresses: ['203.0.113.2'] }))).toBe(true);
    expect(changes).toEqual([2, 3]);
    expect(flagged.serial).toBe(3);
  });

  it('never takes a name whose answers were injected (a legitimate site behind a censor), but does take a poisoned flux name', () => {
    const flagged = new FlaggedDomains();
    const injected = { ...flaggedVerdict('www.news.example', { label: 'suspicious' }), tampering: { kind: 'injected' as const, reasons: ['14 of 14 answers ...'], answers: 14 } };
    expect(flagged.upsert(injected)).toBe(false);
    expect(flagged.match('www.news.example')).toBeNull();
    const poisoned = { ...flaggedVerdict('login.evil.example'), tampering: { kind: 'poisoned' as const, reasons: ['2 responses ...'], answers: 1 } };
    expect(flagged.upsert(poisoned)).toBe(true);
  });

  it('refuses the root and public suffixes, ICANN and private, as a domain or as a registered domain', () => {
    const flagged = new FlaggedDomains();
    // A hostile feed or an old store: `test`, `org`, `co.uk`, `github.io`, the root, or a name whose registered domain claims one.
    for (const [domain, registered] of [
      ['test', 'test'],
      ['org', 'org'],
      ['co.uk', 'co.uk'],
      ['github.io', 'github.io'],
      ['.', '.'],
      ['', ''],
      ['localhost', 'localhost'],
      ['x.test', 'test'],
    ] as const) {
      expect(flagged.upsert(flaggedVerdict(domain, { registered })), domain).toBe(false);
    }
    expect(flagged.size).toBe(0);
    expect(flagged.refused.publicSuffixes).toBe(8);
    for (const name of ['x.test', 'www.x.org', 'a.co.uk', 'me.github.io', 'test', 'org']) expect(flagged.match(name), name).toBeNull();
    // A registered domain under a private suffix is still blocked, with what lies under it, and nothing beside it.
    expect(flagged.upsert(flaggedVerdict('www.evil.github.io', { registered: 'evil.github.io' }))).toBe(true);
    expect(flagged.match('cdn.evil.github.io')?.domain).toBe('www.evil.github.io');
    expect(flagged.match('good.github.io')).toBeNull();
    expect(flagged.upsert(flaggedVerdict('x.evil-lab.test', { registered: 'evil-lab.test' }))).toBe(true);
    expect(flagged.match('y.evil-lab.test')?.domain).toBe('x.evil-lab.test');
    expect(flagged.match('x.test')).toBeNull();
  });

  it('keeps a domain active while it is looked up, and tells when it was last', () => {
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('cdn.flux.example', { registered: 'flux.example', lastSeen: '2025-04-03T01:00:00.000Z' }));
    expect(flagged.lastActive('cdn.flux.example')).toBe(seconds('2025-04-03T01:00:00.000Z'));
    flagged.touch('www.flux.example', seconds('2025-04-10T00:00:00.000Z'));
    flagged.touch('unrelated.example', seconds('2025-04-11T00:00:00.000Z'));
    expect(flagged.lastActive('cdn.flux.example')).toBe(seconds('2025-04-10T00:00:00.000Z'));
    expect(flagged.clock).toBe(seconds('2025-04-11T00:00:00.000Z'));
    expect(flagged.lastActive('unrelated.example')).toBeNull();
  });

  it('drops a removed domain, keeping its registered domain blocked by another flagged name under it', () => {
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('a.flux.example', { registered: 'flux.example' }));
    flagged.upsert(flaggedVerdict('b.flux.example', { registered: 'flux.example' }));
    expect(flagged.remove('a.flux.example')).toBe(true);
    expect(flagged.remove('a.flux.example')).toBe(false);
    expect(flagged.match('a.flux.example')?.domain).toBe('b.flux.example');
    expect(flagged.lastActive('a.flux.example')).toBeNull();
    expect(flagged.reapply((n) => n === 'flux.example')).toBe(1);
    expect(flagged.size).toBe(0);
    expect(flagged.match('b.flux.example')).toBeNull();
  });
});

describe('FlaggedDomains: deny-list policy verdicts (Verdict.listed)', () => {
  const listed = { list: 'deny' as const, comment: 'phishing kit', by: 'alice', at: Date.UTC(2030, 0, 1) / 1000 };
  const deny = (domain: string, registered: string) => ({ ...flaggedVerdict(domain, { registered, zone: domain === registered ? undefined : domain, flux: null, lastSeen: '2030-01-01T00:00:00.000Z' }), listed });

  it('holds its name against a detector verdict, never expires and never moves the data clock', () => {
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('old.example', { lastSeen: '2025-04-03T00:00:00.000Z' }));
    const clock = flagged.clock;
    expect(flagged.upsert(deny('bad.example.org', 'example.org'))).toBe(true);
    expect(flagged.clock).toBe(clock);
    expect(flagged.lastActive('bad.example.org')).toBeNull();
    flagged.touch('www.bad.example.org', Date.UTC(2031, 0, 1) / 1000);
    expect(flagged.lastActive('bad.example.org')).toBeNull();
    // A detection of the same name does not replace the operator's entry.
    expect(flagged.upsert(flaggedVerdict('bad.example.org', { registered: 'example.org' }))).toBe(false);
    expect(flagged.get('bad.example.org')?.listed).toEqual(listed);
    // It blocks the name and every name under it, not its registered domain.
    expect(flagged.match('a.b.bad.example.org')?.listed).toBe(listed);
    expect(flagged.match('example.org')).toBeNull();
    expect(flagged.match('other.example.org')).toBeNull();
  });

  it('replaces a detector verdict of the same name, and goes on remove()', () => {
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('evil.example'));
    const serial = flagged.serial;
    expect(flagged.upsert(deny('evil.example', 'evil.example'))).toBe(true);
    expect(flagged.serial).toBe(serial + 1);
    expect(flagged.match('x.evil.example')?.listed).toBe(listed);
    expect(flagged.remove('evil.example')).toBe(true);
    expect(flagged.match('x.evil.example')).toBeNull();
  });

  it('policyChanged bumps the serial and tells the listeners', () => {
    const flagged = new FlaggedDomains();
    const heard: number[] = [];
    flagged.onChange((s) => heard.push(s));
    flagged.policyChanged();
    expect(heard).toEqual([2]);
  });
});
