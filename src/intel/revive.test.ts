import { describe, expect, it } from 'vitest';
import { buildIntelIndex, packIntelIndex, reviveIntelIndex, unpackIntelIndex, type IntelRules } from './index.js';
import { parseList } from './list.js';

const RULES: IntelRules = { isRegistrable: (name) => name.includes('.'), isAllowlisted: () => false };

describe('reviveIntelIndex (an index sent to a worker thread)', () => {
  const index = buildIntelIndex(
    [{ name: 'botnet', action: 'block', confidence: 80, expiresAt: Infinity, feed: parseList(['flux.example', '185.100.87.7', '185.100.0.0/16', '2a0e:1c80::/32'].join('\n'), 'botnet.txt') }],
    RULES,
  );

  it('matches what the original matches after a structured clone', () => {
    const revived = reviveIntelIndex(structuredClone(index));
    for (const name of ['flux.example', 'a.b.flux.example', 'notflux.example', 'example']) expect(revived.matchDomain(name)).toEqual(index.matchDomain(name) === null ? null : { ...index.matchDomain(name)! });
    for (const address of ['185.100.87.7', '185.100.3.4', '185.101.0.1', '2a0e:1c80:9::1', '::ffff:185.100.87.7']) {
      expect(revived.matchAddress(address)).toEqual(index.matchAddress(address) === null ? null : { ...index.matchAddress(address)! });
    }
    expect([revived.domains, revived.addresses, revived.counts]).toEqual([index.domains, index.addresses, index.counts]);
    // Renewal works on the revived copy (its feed metadata crossed too).
    revived.renew('botnet', 0);
    expect(revived.matchDomain('flux.example', 1)).toBeNull();
    expect(index.matchDomain('flux.example', 1)).not.toBeNull();
  });

  it('packs an index once (entries as shared text, in slices) and unpacks it in another thread as the same index', async () => {
    let pauses = 0;
    const packed = await packIntelIndex(index, async () => void pauses++);
    expect(pauses).toBe(4); // entries and name keys: one slice each to write as text, then one each to encode
    expect(packed.text).toBeInstanceOf(SharedArrayBuffer);
    const unpacked = unpackIntelIndex(structuredClone(packed));
    for (const value of ['flux.example', 'x.flux.example', '185.100.87.7', '185.100.9.9', '2a0e:1c80:1::5', 'other.example']) {
      const hit = value.includes('.') && !/^\d/.test(value) ? unpacked.matchDomain(value) : unpacked.matchAddress(value);
      const want = value.includes('.') && !/^\d/.test(value) ? index.matchDomain(value) : index.matchAddress(value);
      expect(hit === null ? null : { ...hit }).toEqual(want === null ? null : { ...want });
    }
    expect(() => unpackIntelIndex({ fields: {}, text: new ArrayBuffer(0), chunks: [], entryChunks: 0 })).toThrow('intel: not an intel index sent from another thread');
  });

  it('refuses what is not a cloned index', () => {
    for (const bad of [null, 3, {}, { feeds: [], entries: [], feedOf: [], until: new Float64Array(0), names: {}, v4: {}, v6: {} }]) {
      expect(() => reviveIntelIndex(bad)).toThrow('intel: not an intel index sent from another thread');
    }
  });
});
