/**
 * AddressList looks an IPv6 address's facts up through one reused array of
 * groups (parsed once for its ASN, country and provider): whatever order the
 * facts of several addresses are asked in, each must be what a fresh parse
 * gives the enricher and infra.
 */
import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { rr } from '../../test/helpers/observations.js';
import type { Infra } from '../enrich/infra/index.js';
import { formatIPv4, formatIPv6, parseIPv6 } from '../model/names.js';
import { AddressList } from './digest.js';
import type { AddressEntry } from './address-table.js';

/** Provider by the third group's low bits (v6) or the third octet (v4), else by the ASN: a stand-in with both paths. */
const infra = {
  providerOfV4: (ip: number) => (((ip >>> 8) & 7) === 0 ? 1 : -1),
  providerOfV6: (g: Uint16Array) => ((g[2]! & 7) === 0 ? 2 : -1),
  providerOfAsn: (asn: number) => (asn % 5 === 0 ? 3 : -1),
  counts: { platformAsns: 0 },
} as unknown as Infra;

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Public IPv6 in 2a00::/12 with a few zero groups (so '::' forms vary), or public IPv4 in 11.0.0.0/8. */
function randomAddress(random: () => number): string {
  if (random() < 0.3) return formatIPv4(((11 << 24) | Math.floor(random() * 2 ** 24)) >>> 0);
  const g = new Uint16Array(8);
  g[0] = 0x2a00 + Math.floor(random() * 16);
  for (let i = 1; i < 8; i++) g[i] = random() < 0.3 ? 0 : Math.floor(random() * 65536);
  return formatIPv6(g);
}

/** What the list must give for an address: the facts of a fresh parse. */
function expected(text: string): { asn: number; country: string; provider: number } {
  const g = parseIPv6(text);
  if (g === null) {
    const facts = octetEnricher.lookup(text)!;
    const ip = Number(text.split('.').reduce((a, o) => a * 256 + Number(o), 0));
    const byRange = infra.providerOfV4(ip);
    return { asn: facts.asn, country: facts.country, provider: byRange >= 0 ? byRange : infra.providerOfAsn(facts.asn) };
  }
  const asn = octetEnricher.asnV6(g);
  const byRange = infra.providerOfV6(g);
  return { asn, country: octetEnricher.countryV6(g), provider: byRange >= 0 ? byRange : infra.providerOfAsn(asn) };
}

describe('AddressList IPv6 facts', () => {
  it('equal a fresh parse whatever order addresses and facts are asked in', () => {
    const random = prng(5952);
    const list = new AddressList(octetEnricher, infra);
    const entry: AddressEntry = { key: 0, asn: 0, country: '', ttl: -1, provider: -1 };
    let v6Checked = 0;
    for (let observation = 0; observation < 400; observation++) {
      list.clear();
      const texts: string[] = [];
      const n = 1 + Math.floor(random() * 6);
      for (let i = 0; i < n; i++) {
        const text = randomAddress(random);
        if (list.add(rr('x.example', text.includes(':') ? 'AAAA' : 'A', text)) && list.size > texts.length) texts.push(text);
      }
      // Facts asked address by address in a random order, each fact alone or through entry().
      for (let k = 0; k < 3 * list.size; k++) {
        const i = Math.floor(random() * list.size);
        const want = expected(texts[i]!);
        const pick = random();
        if (pick < 0.25) expect(list.asn(i)).toBe(want.asn);
        else if (pick < 0.5) expect(list.country(i)).toBe(want.country);
        else if (pick < 0.75) expect(list.provider(i)).toBe(want.provider);
        else {
          list.entry(i, entry);
          expect([entry.asn, entry.country, entry.provider]).toEqual([want.asn, want.country, want.provider]);
        }
        if (texts[i]!.includes(':')) v6Checked++;
      }
    }
    expect(v6Checked).toBeGreaterThan(1000);
  });

  it('gives an IPv6 key that does not parse no ASN or country, and its provider by ASN 0', () => {
    const list = new AddressList(octetEnricher, infra);
    list.add(rr('x.example', 'AAAA', '2a00::1'));
    list.add(rr('x.example', 'AAAA', '2a00:zz::1'));
    expect(list.asn(0)).toBe(60000);
    expect([list.asn(1), list.country(1), list.provider(1)]).toEqual([0, '', infra.providerOfAsn(0)]);
    // The unparsable one in between leaves the first's facts as they were.
    expect(list.country(0)).toBe(octetEnricher.countryV6(parseIPv6('2a00::1')!));
  });
});
