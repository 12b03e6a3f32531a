/**
 * Injected and poisoned answers (tampering.ts) through the whole detector, on
 * synthetic observations: the test enricher makes the first octet the ASN
 * (×100), and a platform list in a copy of data/reference names three
 * single-tenant platforms on AS3100, AS3200 and AS3300.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { aResponse, rr, T0 } from '../../test/helpers/observations.js';
import { defaultConfig } from '../config/schema.js';
import { defaultReferenceDir, loadInfra, REFERENCE_FILES, type Infra } from '../enrich/infra/index.js';
import type { DnsObservation } from '../model/observation.js';
import { isActionable, type Verdict } from '../model/verdict.js';
import { Detector } from './detector.js';

const PLATFORMS = `# date: 2026-12-05
asn 3100 social
domain social-net.com social
domain social-cdn.net social
asn 3200 micro
domain micro.example micro
asn 3300 files
domain files-box.com files
`;

let dir: string;
let infra: Infra;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-tampering-'));
  cpSync(defaultReferenceDir(), dir, { recursive: true });
  writeFileSync(join(dir, REFERENCE_FILES.platforms), PLATFORMS);
  infra = loadInfra(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small deterministic generator, so "random" answers are the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random address in one of the platforms' networks (first octet 31, 32 or 33). */
function platformAddress(rand: () => number): string {
  return `${31 + Math.floor(rand() * 3)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
}

/** A random address of one of four carriers (first octets 61..64: AS6100..AS6400). */
function carrierAddress(rand: () => number): string {
  return `${61 + Math.floor(rand() * 4)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
}

/** Botnet-style addresses: a different first octet (ASN, country) per index, away from the platform octets. */
function bot(i: number): string {
  return `${100 + ((i * 7) % 120)}.${(i * 13) % 250}.${(i * 29) % 250}.${1 + (i % 250)}`;
}

function run(feed: (d: Detector) => void, reportBenign = false) {
  const flags: Verdict[] = [];
  const finals: Verdict[] = [];
  const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, infra, onFlag: (v) => flags.push(v), onFinal: (v) => finals.push(v), reportBenign });
  feed(detector);
  detector.flush();
  const find = (domain: string) => finals.find((v) => v.domain === domain && v.scope === 'name');
  return { detector, flags, finals, find };
}

/** A flux name as a caching resolver passes it on: 5 bots per answer, TTL counting down from `ttl`. */
function fluxLookups(d: Detector, name: string, lookups: number, ttl: number, every: number, salt = 0, clients = 1): void {
  for (let i = 0; i < lookups; i++) {
    const ts = T0 + i * every;
    const epoch = ttl === 0 ? i : Math.floor((i * every) / ttl);
    const remaining = ttl === 0 ? 0 : ttl - ((i * every) % ttl);
    d.observe(aResponse(ts, name, [0, 1, 2, 3, 4].map((k) => bot(salt + epoch * 5 + k)), remaining, { client: `10.0.${i % clients}.${1 + (i % 200)}` }));
  }
}

describe('injected answers', () => {
  it('a middlebox answering 200 names with random platform addresses: no fast-flux, no flux network, every name injected', () => {
    const rand = prng(7);
    const names = Array.from({ length: 200 }, (_, i) => `www.censored-site-${i}.org`);
    const { detector, flags, finals, find } = run((d) => {
      for (let lookup = 0; lookup < 14; lookup++) {
        for (const name of names) d.observe(aResponse(T0 + lookup * 40, name, [platformAddress(rand)], 300));
      }
    });
    expect(flags).toEqual([]);
    expect(finals.filter((v) => v.verdict !== 'benign')).toEqual([]);
    expect(detector.networks.summaries()).toEqual([]);
    for (const name of names) {
      const v = find(name)!;
      expect(v.tampering?.kind).toBe('injected');
      expect(v.tampering?.answers).toBe(14);
      expect(v.features.ips).toBe(0);
      expect(v.features.asns).toBe(0);
    }
    expect(find(names[0]!)!.tampering!.reasons[0]).toMatch(/^14 of 14 answers point into single-tenant platform networks \(AS3\d00 (social|micro|files)(, AS3\d00 \w+)*\) that do not serve this domain$/);
  });

  it('leaves a platform its own names: answered from its network directly or through a CNAME into its domains', () => {
    const rand = prng(11);
    const { finals } = run((d) => {
      for (let i = 0; i < 30; i++) {
        const ts = T0 + i * 20;
        // Through a caching resolver: the TTL counts down (60, 40, 20) while the edges rotate.
        const ttl = 60 - ((i * 20) % 60);
        d.observe(aResponse(ts, 'www.social-net.com', [`31.13.${i % 8}.${1 + i}`, `31.13.${(i + 1) % 8}.${2 + i}`], ttl));
        d.observe(aResponse(ts, 'scontent.xx.social-cdn.net', [`31.${Math.floor(rand() * 256)}.${i}.9`], ttl));
        const viaCname = aResponse(ts, 'connect.brand.com', [`31.13.64.${1 + (i % 50)}`], ttl);
        viaCname.answers.unshift(rr('connect.brand.com', 'CNAME', 'star.c10r.social-net.com', 3600));
        d.observe(viaCname);
      }
    }, true);
    for (const v of finals) expect(v.tampering, v.domain).toBeUndefined();
    expect(finals.filter((v) => v.scope === 'name').map((v) => v.domain).sort()).toEqual(['connect.brand.com', 'scontent.xx.social-cdn.net', 'www.social-net.com']);
  });

  it('catches a flux name among the injected ones, and its network holds none of the platform addresses', () => {
    const rand = prng(3);
    const { find, detector } = run((d) => {
      for (let lookup = 0; lookup < 12; lookup++) {
        for (let n = 0; n < 50; n++) d.observe(aResponse(T0 + lookup * 300, `news-${n}.example.net`, [platformAddress(rand)], 300));
      }
      fluxLookups(d, 'login.evil-bank.com', 12, 120, 300);
    });
    expect(find('login.evil-bank.com')!.verdict).toBe('fast-flux');
    expect(find('login.evil-bank.com')!.tampering).toBeUndefined();
    const networks = detector.networks.summaries();
    expect(networks).toHaveLength(1);
    expect(networks[0]!.sample_domains).toEqual(['login.evil-bank.com']);
    expect(find('news-0.example.net')!.tampering?.kind).toBe('injected');
  });

  it('keeps platform addresses mixed into a flux answer out of its counts, and still flags it', () => {
    const { find } = run((d) => {
      for (let i = 0; i < 12; i++) {
        d.observe(aResponse(T0 + i * 300, 'pay.evil-shop.com', [...[0, 1, 2, 3].map((k) => bot(i * 4 + k)), `31.13.1.${1 + i}`], 120 - (i % 100)));
      }
    });
    const v = find('pay.evil-shop.com')!;
    expect(v.verdict).toBe('fast-flux');
    expect(v.evidence.addresses.some((a) => a.address.startsWith('31.'))).toBe(false);
    // One platform address mixed into its own bots does not make the answers someone else's: poisoned at
    // most, so the name stays flux and blockable (an `injected` finding would let flux evade every block).
    expect(v.tampering?.kind).toBe('poisoned');
    expect(isActionable(v)).toBe(true);
  });
});

describe('answers that change before their TTL ran out', () => {
  it('reports a name whose answer changes on every lookup with a TTL that never counts down, and leaves its carrier answers out once platform answers showed', () => {
    const rand = prng(5);
    const { find, flags } = run((d) => {
      d.observe(aResponse(T0, 'www.blocked-news.org', [platformAddress(rand)], 300, { client: '10.9.0.1' }));
      for (let i = 1; i <= 13; i++) d.observe(aResponse(T0 + i * 20, 'www.blocked-news.org', [carrierAddress(rand)], 300, { client: '10.9.0.1' }));
    });
    const v = find('www.blocked-news.org')!;
    expect(flags).toEqual([]);
    expect(v.verdict).toBe('benign');
    expect(v.tampering?.kind).toBe('injected');
    expect(v.tampering?.reasons).toContain('the answer changed on 12 of 12 lookups before its TTL of 300 s ran out, and the TTL never counted down');
    expect(v.tampering?.reasons[0]).toBe('1 of 14 answers point into single-tenant platform networks (AS3100 social) that do not serve this domain');
    // The first carrier answer came before any sign of its own; the 12 after it are left out.
    expect(v.features.ips).toBe(1);
    expect(v.tampering?.answers).toBe(13);
  });

  it('reports the fixed TTL on its own (without platform answers) but does not clear the flux score with it', () => {
    const rand = prng(9);
    const { find } = run((d) => {
      for (let i = 0; i < 10; i++) d.observe(aResponse(T0 + i * 30, 'mail.other-site.org', [carrierAddress(rand)], 600, { client: '192.0.2.10' }));
    });
    const v = find('mail.other-site.org')!;
    expect(v.tampering?.kind).toBe('injected');
    // The first change only starts the record (with its client); the 8 after it count.
    expect(v.tampering?.reasons).toEqual(['the answer changed on 8 of 9 lookups before its TTL of 600 s ran out, and the TTL never counted down']);
  });

  it('does not trip on many resolvers above one sensor, each fetching a fresh (full-TTL) answer of a GeoDNS name', () => {
    const { find } = run((d) => {
      for (let i = 0; i < 40; i++) d.observe(aResponse(T0 + i * 15, 'www.geo-site.com', [bot(i % 6)], 300, { client: `10.53.0.${1 + (i % 20)}` }));
    }, true);
    expect(find('www.geo-site.com')!.tampering).toBeUndefined();
  });

  it('does not trip on fast flux with TTL 0 through a resolver serving many clients', () => {
    const { find } = run((d) => fluxLookups(d, 'cdn.evil-flux.ru', 40, 0, 10, 0, 50));
    const v = find('cdn.evil-flux.ru')!;
    expect(v.verdict).toBe('fast-flux');
    expect(v.tampering).toBeUndefined();
  });

  it('does not trip on a caching resolver: answers change only once the TTL ran out, the TTL counts down in between', () => {
    const { find } = run((d) => fluxLookups(d, 'img.rotating-cdn.com', 60, 60, 25, 0, 30), true);
    expect(find('img.rotating-cdn.com')!.tampering).toBeUndefined();
  });

  it('does not trip on fresh answers from the authority each time the TTL ran out (the TTL is full, the answer older than it)', () => {
    const { find } = run((d) => {
      for (let i = 0; i < 20; i++) d.observe(aResponse(T0 + i * 400, 'api.lb-site.com', [bot(i), bot(i + 1)], 300));
    }, true);
    expect(find('api.lb-site.com')!.tampering).toBeUndefined();
  });
});

describe('poisoned answers', () => {
  function stable(d: Detector, extra: (i: number) => DnsObservation | null): void {
    for (let i = 0; i < 20; i++) {
      const ttl = 3600 - ((i * 60) % 3600);
      d.observe(extra(i) ?? aResponse(T0 + i * 60, 'www.bank.example', ['93.184.216.34'], ttl));
    }
  }

  it('a stable name with one answer into a platform network it has nothing to do with is poisoned, and stays benign', () => {
    const { find } = run((d) => stable(d, (i) => (i === 9 ? aResponse(T0 + i * 60, 'www.bank.example', ['32.1.2.3'], 3600) : null)));
    const v = find('www.bank.example')!;
    expect(v.verdict).toBe('benign');
    expect(v.tampering).toEqual({
      kind: 'poisoned',
      reasons: ['1 of 20 answers point into single-tenant platform networks (AS3200 micro) that do not serve this domain'],
      answers: 1,
    });
  });

  it('a second, different response to one query (marked by the source) is poisoning', () => {
    const { find } = run((d) =>
      stable(d, (i) => {
        if (i !== 5) return null;
        const o = aResponse(T0 + i * 60, 'www.bank.example', ['93.184.216.34'], 3540);
        o.conflict = true;
        return o;
      }),
    );
    expect(find('www.bank.example')!.tampering).toEqual({ kind: 'poisoned', reasons: ['2 responses to one query with different answers (on-path injection)'], answers: 1 });
  });
});

describe('an injector racing the real answer (captures)', () => {
  it('a name whose queries are answered twice, forged first and real second, on many lookups is injected: never flux, no network', () => {
    const rand = prng(11);
    const { find, flags } = run((d) => {
      for (let i = 0; i < 40; i++) {
        const ts = T0 + i * 45;
        // The forged answer: a carrier address in another network each time, a TTL that never moves.
        d.observe(aResponse(ts, 'www.censored-news.org', [carrierAddress(rand), carrierAddress(rand)], 120, { client: '10.1.0.7' }));
        // The real answer arrives too (the source marked it as the second response).
        {
          const real = aResponse(ts + 0.02, 'www.censored-news.org', ['93.184.216.34'], 3600 - i * 45, { client: '10.1.0.7' });
          real.conflict = true;
          d.observe(real);
        }
      }
    });
    const v = find('www.censored-news.org')!;
    // Before the second race (two lookups) nothing told it apart: it may have been suspicious, never fast-flux.
    expect(flags.filter((f) => f.verdict === 'fast-flux')).toEqual([]);
    expect(v.verdict).toBe('benign');
    expect(v.network).toBeNull();
    expect(v.tampering?.kind).toBe('injected');
    expect(v.tampering?.reasons).toContain('40 queries answered twice with different answers (on-path injection)');
  });
});
