/** extendInfra over the shipped reference lists (enrich/infra) with the real public-suffix rule (detect): a cross-layer test. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isRegistrable, registrableDomain } from '../src/detect/registered-domain.js';
import { loadInfra } from '../src/enrich/infra/index.js';
import { extendInfra } from '../src/intel/warninglist/extend.js';
import { parseWarninglist } from '../src/intel/warninglist/parse.js';

const reference = loadInfra();

function list(value: object, source = 'l.json') {
  return parseWarninglist(JSON.stringify(value), source);
}

describe('extendInfra over the shipped reference lists', () => {
  it('answers the base lists first and a warninglist network after, as its own provider', () => {
    const fastly = parseWarninglist(readFileSync(new URL('./fixtures/warninglists/fastly.json', import.meta.url), 'utf8'), 'fastly.json');
    const own = list({ name: 'partner', type: 'cidr', list: ['203.0.113.0/24', '2001:db8:77::/48'] });
    const infra = extendInfra(reference, [{ name: 'fastly', list: fastly }, { name: 'partner', list: own }], { isRegistrable });
    // 151.101.0.0/16 is Fastly's in data/reference too: the base's answer (its provider name) wins.
    expect(infra.providerName(infra.providerOfAddress('151.101.1.1'))).toBe(reference.providerName(reference.providerOfAddress('151.101.1.1')));
    expect(infra.providerName(infra.providerOfAddress('203.0.113.9'))).toBe('warninglist partner');
    expect(infra.providerName(infra.providerOfAddress('2001:db8:77::1'))).toBe('warninglist partner');
    expect(infra.providerOfAddress('2001:db8:78::1')).toBe(-1);
    expect(infra.counts.providers).toBe(reference.counts.providers + 2);
    // The rest is the base's.
    expect(infra.isDynamicDns('x.ddns.net')).toBe(true);
    expect(infra.sources).toHaveLength(reference.sources.length + 2);
  });

  it('refuses a dynamic-DNS provider\'s name listed with its subdomains, a too-broad or duplicate network; keeps the exact name', () => {
    const wide = list({
      name: 'wide',
      list: ['.0217.net', '0217.net', '.01sw.net', '.ddns.net', '10.0.0.0/7', '2001::/15', '198.51.100.0/24', '198.51.100.0/24', '.shop.example'],
    });
    const infra = extendInfra(reference, [{ name: 'wide', list: wide }], { isRegistrable });
    expect(infra.warninglists[0]).toEqual({
      feed: 'wide', names: 2, networks: 1, skipped: 0,
      // 0217.net and 01sw.net are dynamic-DNS providers in data/reference; ddns.net is a public suffix too.
      refused: { 'public-suffix': 1, 'dynamic-dns': 2, 'too-broad': 2, duplicate: 1 },
    });
    const known = (name: string) => infra.isKnownName(name, registrableDomain(name) ?? name);
    // Listed exact, 0217.net itself is known; its customers' names are not.
    expect(known('0217.net')).toBe(true);
    expect(known('flux.0217.net')).toBe(false);
    expect(known('flux.01sw.net')).toBe(false);
    expect(known('www.shop.example')).toBe(true);
    expect(infra.providerOfAddress('10.1.1.1')).toBe(-1);
  });
});
