import { describe, expect, it } from 'vitest';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { FlaggedDomains } from '../../act/flagged.js';
import { flaggedStixSource, MAX_VERSIONS_PER_OBJECT, patternString, STIX_SCO_NAMESPACE, uuidv5 } from './source.js';

describe('taxii source: ids and patterns', () => {
  it('uuidv5 matches RFC 4122 and the STIX spec example (domain-name example.com)', () => {
    // RFC 4122 appendix / Python uuid.uuid5(NAMESPACE_DNS, 'python.org').
    expect(uuidv5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    // STIX 2.1's own deterministic-id example: domain-name--{"value":"example.com"}.
    expect(uuidv5(STIX_SCO_NAMESPACE, '{"value":"example.com"}')).toBe('bedb4899-d24b-5401-bc86-8f6b4cc18ec7');
  });

  it.each([
    ['plain.example', "'plain.example'"],
    ["it's.example", "'it\\'s.example'"],
    ['back\\slash.example', "'back\\\\slash.example'"],
    ["x' OR [ipv4-addr:value = '1.2.3.4", "'x\\' OR [ipv4-addr:value = \\'1.2.3.4'"],
  ])('escapes %s as a single STIX string literal', (value, literal) => {
    expect(patternString(value)).toBe(literal);
  });
});

describe('taxii source: the stand-in over the flagged set', () => {
  it('publishes one indicator per flagged domain with a deterministic id, and a new version only when the verdict changes', () => {
    let clock = Date.parse('2026-12-05T12:00:00.000Z');
    const flagged = new FlaggedDomains();
    const source = flaggedStixSource(flagged, () => clock);
    flagged.upsert(flaggedVerdict("evil'flux.example"));
    const [first] = source.objects();
    expect(first!.added).toBe(clock);
    expect(first!.object).toMatchObject({ type: 'indicator', spec_version: '2.1', pattern: "[domain-name:value = 'evil\\'flux.example']", pattern_type: 'stix', confidence: 90 });
    expect(flaggedStixSource(new FlaggedDomains(), () => clock).objects()).toEqual([]);
    // Same id from a fresh source: a re-run of the daemon shares the same object.
    const again = new FlaggedDomains();
    again.upsert(flaggedVerdict("evil'flux.example"));
    expect(flaggedStixSource(again, () => clock).objects()[0]!.object.id).toBe(first!.object.id);

    clock += 1000;
    flagged.upsert(flaggedVerdict("evil'flux.example", { lastSeen: '2025-04-03T05:00:00.000Z' }));
    expect(source.objects()).toHaveLength(1); // only last_seen moved: the indicator says the same
    flagged.upsert(flaggedVerdict("evil'flux.example", { reasons: ['a new reason'] }));
    const versions = source.objects();
    expect(versions).toHaveLength(2);
    expect(versions[1]!.object.modified).toBe('2026-12-05T12:00:01.000Z');
    expect(versions[1]!.object.created).toBe(versions[0]!.object.created);

    // The stand-in samples the set when read: each read after a change publishes one version.
    for (let i = 0; i < MAX_VERSIONS_PER_OBJECT + 5; i++) {
      flagged.upsert(flaggedVerdict("evil'flux.example", { reasons: [`reason ${i}`] }));
      source.objects();
    }
    expect(source.objects()).toHaveLength(MAX_VERSIONS_PER_OBJECT);
  });
});
