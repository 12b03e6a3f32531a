import { describe, expect, it } from 'vitest';
import { formatIPv4 } from '../model/names.js';
import { AddressSpace } from './address-space.js';
import { ALL_CORPUS_ASNS, AMAZON_ASN, MICROSOFT_ASN } from './asns.js';
import { Prng } from './prng.js';
import { Regions } from './regions.js';

const space = AddressSpace.load(ALL_CORPUS_ASNS);
const regions = Regions.load(space);

describe('Regions', () => {
  it('places the clouds in several countries', () => {
    expect(regions.countries(MICROSOFT_ASN).length).toBeGreaterThanOrEqual(5);
    expect(regions.countries(AMAZON_ASN)).toEqual(expect.arrayContaining(['US', 'DE', 'GB', 'IE']));
  });

  it('picks addresses of the AS inside the country the enrichment data gives them', () => {
    const rng = new Prng(1);
    for (const asn of [MICROSOFT_ASN, AMAZON_ASN, 24940, 680]) {
      for (const country of regions.countries(asn).slice(0, 5)) {
        for (let i = 0; i < 20; i++) {
          const ip = regions.pickV4(asn, country, rng);
          expect(regions.countryOf(ip), `AS${asn} ${formatIPv4(ip)}`).toBe(country);
          expect(space.asnOfV4(formatIPv4(ip))).toBe(asn);
        }
      }
    }
  });

  it('refuses a country the AS is not in', () => {
    expect(regions.hasCountry(680, 'BR')).toBe(false);
    expect(() => regions.pickV4(680, 'BR', new Prng(1))).toThrow(/AS680 has no \/24 in BR/);
  });
});
