import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { aResponse, rr, T0 } from '../../test/helpers/observations.js';
import { FlaggedDomains } from '../act/flagged.js';
import { defaultConfig } from '../config/schema.js';
import { emptyObservation, type DnsObservation } from '../model/observation.js';
import type { Verdict } from '../model/verdict.js';
import { Detector } from './detector.js';
import { MAX_CUTS, ZoneCuts } from './zone-cuts.js';

const PROVIDER = 'freesub.net';
const CUSTOMERS = 30;

function run(feed: (d: Detector) => void) {
  const flags: Verdict[] = [];
  const finals: Verdict[] = [];
  const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, onFlag: (v) => flags.push(v), onFinal: (v) => finals.push(v), reportBenign: true });
  feed(detector);
  detector.flush();
  const find = (domain: string, scope = 'name') => finals.find((v) => v.domain === domain && v.scope === scope);
  const flagged = new FlaggedDomains();
  for (const v of finals) flagged.upsert(v);
  return { flags, finals, find, flagged };
}

/** Botnet-style addresses: a different first octet (ASN, country) per index. */
function bot(i: number): string {
  return `${11 + ((i * 7) % 200)}.${(i * 13) % 250}.${(i * 29) % 250}.${1 + (i % 250)}`;
}

/**
 * `cust<c>.freesub.net` delegated to its own two name servers at one
 * hosting network per customer (a different ASN each, glue in additional),
 * stable; its apex and `www` under it asked `lookups` times, a third of the
 * answers with the authority section. `ownerIsQname` writes the NS owner as
 * the query name, as Zeek's auth field does.
 */
function customers(d: Detector, lookups: number, ownerIsQname = false): void {
  for (let lookup = 0; lookup < lookups; lookup++) {
    for (let c = 0; c < CUSTOMERS; c++) {
      const zone = `cust${c}.${PROVIDER}`;
      const host = 20 + c * 3;
      const ns = [`ns1.host${c}.com`, `ns2.host${c}.com`];
      for (const q of [zone, `www.${zone}`]) {
        const withAuthority = (lookup + c) % 3 === 0;
        d.observe(
          aResponse(T0 + lookup * 3600 + c, q, [`${host}.1.${c}.10`], 300, {
            authority: withAuthority ? ns.map((n) => rr(ownerIsQname ? q : zone, 'NS', n, 3600)) : [],
            additional: withAuthority ? ns.map((n, i) => rr(n, 'A', `${host}.2.${c}.${i + 1}`, 3600)) : [],
          }),
        );
      }
    }
  }
}

/** A zone whose NS set rotates over bots at every answer, and whose names' addresses flux. */
function fluxZone(d: Detector, zone: string, names: string[], lookups: number, salt: number, ownerIsQname = false): void {
  for (let lookup = 0; lookup < lookups; lookup++) {
    for (const q of names) {
      const k = salt + lookup * 7;
      const ns = [`ns${(lookup % 8) + 1}.${zone}`, `ns${((lookup + 3) % 8) + 1}.${zone}`];
      d.observe(
        aResponse(T0 + lookup * 600 + 5, q, [0, 1, 2, 3, 4].map((i) => bot(k + i)), 120, {
          authority: ns.map((n) => rr(ownerIsQname ? q : zone, 'NS', n, 120)),
          additional: ns.map((n, i) => rr(n, 'A', bot(k + 100 + i), 120)),
        }),
      );
    }
  }
}

describe('zone cuts', () => {
  it('reads 30 customers delegated to their own name servers as delegations, not double flux of the provider', () => {
    const { flags, finals, find } = run((d) => customers(d, 3));
    expect(flags).toEqual([]);
    expect(finals.filter((v) => v.verdict !== 'benign')).toEqual([]);
    const union = find(PROVIDER, 'registered_domain')!;
    expect(union.verdict).toBe('benign');
    expect(union.reasons).toContain(
      '30 delegated child zones with their own name servers: delegations, not name-server flux (the union of their names is not scored; each zone is judged on its own)',
    );
  });

  it('does the same when the NS owner is the query name (Zeek) or comes as separate passive-DNS tuples', () => {
    expect(run((d) => customers(d, 3, true)).finals.filter((v) => v.verdict !== 'benign')).toEqual([]);
    const pdns = run((d) => {
      for (let c = 0; c < CUSTOMERS; c++) {
        const zone = `cust${c}.${PROVIDER}`;
        const host = 20 + c * 3;
        for (let i = 1; i <= 2; i++) {
          d.observe(tuple(zone, 'NS', `ns${i}.host${c}.com`, c));
          d.observe(tuple(`ns${i}.host${c}.com`, 'A', `${host}.2.${c}.${i}`, c));
        }
        d.observe(tuple(zone, 'A', `${host}.1.${c}.10`, c));
        d.observe(tuple(`www.${zone}`, 'A', `${host}.1.${c}.10`, c));
      }
    });
    expect(pdns.finals.filter((v) => v.verdict !== 'benign')).toEqual([]);
    expect(pdns.find(PROVIDER, 'registered_domain')!.reasons.some((r) => r.startsWith('30 delegated child zones'))).toBe(true);
  });

  it('flags a child whose own NS set rotates over bots as double flux of that child, and blocks it alone', () => {
    const child = `bad.${PROVIDER}`;
    const { find, flagged, finals } = run((d) => {
      customers(d, 3);
      fluxZone(d, child, [child, `www.${child}`], 12, 0);
    });
    for (const name of [child, `www.${child}`]) {
      const v = find(name)!;
      expect(v.verdict).toBe('fast-flux');
      expect(v.flux).toBe('double');
      expect(v.zone).toBe(child);
    }
    expect(find(PROVIDER, 'registered_domain')!.verdict).toBe('benign');
    expect(finals.filter((v) => v.verdict !== 'benign').map((v) => v.domain).sort()).toEqual([child, `www.${child}`]);
    expect(flagged.match(child)).not.toBeNull();
    expect(flagged.match(`mail.${child}`)).not.toBeNull();
    expect(flagged.match(`cust3.${PROVIDER}`)).toBeNull();
    expect(flagged.match(`www.cust3.${PROVIDER}`)).toBeNull();
    expect(flagged.match(PROVIDER)).toBeNull();
  });

  it('still flags the provider as double flux when its own apex NS set rotates', () => {
    const { find, flagged } = run((d) => {
      customers(d, 3);
      fluxZone(d, PROVIDER, [PROVIDER, `www.${PROVIDER}`], 12, 500);
    });
    for (const name of [PROVIDER, `www.${PROVIDER}`]) {
      const v = find(name)!;
      expect(v.verdict).toBe('fast-flux');
      expect(v.flux).toBe('double');
      expect(v.zone).toBeUndefined();
    }
    expect(find(PROVIDER, 'registered_domain')!.verdict).toBe('fast-flux');
    expect(flagged.match(`cust3.${PROVIDER}`)).not.toBeNull();
  });

  it('keeps double flux of a zone whose names each claim the NS set (Zeek owners) as one zone, blocked whole', () => {
    const zone = 'double-trouble.ru';
    const { find, flagged } = run((d) => fluxZone(d, zone, [`www.${zone}`, `login.${zone}`, `cdn.${zone}`], 12, 900, true));
    for (const name of [`www.${zone}`, `login.${zone}`]) {
      const v = find(name)!;
      expect(v.flux).toBe('double');
      expect(v.zone).toBeUndefined();
    }
    expect(flagged.match(`mail.${zone}`)).not.toBeNull();
  });
});

describe('ZoneCuts', () => {
  it('counts children with their own, different NS sets; a set shared by all, or overlapping subsets of one pool, is no delegation', () => {
    const cuts = new ZoneCuts('p.example');
    cuts.note('a.p.example', ['ns1.host-a.example', 'ns2.host-a.example']);
    expect(cuts.delegations()).toBe(0); // one set alone says nothing
    cuts.note('b.p.example', ['ns1.host-b.example', 'ns2.host-b.example']);
    cuts.note('c.p.example', ['ns1.host-b.example', 'ns2.host-b.example']);
    expect(cuts.delegations()).toBe(3);
    expect(cuts.zoneOf('www.b.p.example')).toBe('b.p.example');
    expect(cuts.zoneOf('p.example')).toBeNull();

    const pool = new ZoneCuts('flux.example');
    pool.note('www.flux.example', ['ns1.flux.example', 'ns2.flux.example']);
    pool.note('login.flux.example', ['ns2.flux.example', 'ns3.flux.example']);
    pool.note('cdn.flux.example', ['ns4.flux.example', 'ns5.flux.example']);
    pool.note('cdn.flux.example', ['ns6.flux.example', 'ns7.flux.example']);
    expect(pool.delegations()).toBe(0);

    // Disjoint subsets of one host's servers, each seen once (a log that names the query name as the owner): one pool, not delegations.
    const shared = new ZoneCuts('flux.example');
    shared.note('www.flux.example', ['ns5.pool-dns.example', 'ns1.pool-dns.example']);
    shared.note('login.flux.example', ['ns3.pool-dns.example', 'ns7.pool-dns.example']);
    expect(shared.delegations()).toBe(0);
  });

  it('remembers at most MAX_CUTS cuts and counts the rest as delegations seen', () => {
    const cuts = new ZoneCuts('p.example');
    for (let i = 0; i < MAX_CUTS + 10; i++) cuts.note(`c${i}.p.example`, [`ns1.h${i}.example`, `ns2.h${i}.example`]);
    expect(cuts.dropped).toBe(10);
    expect(cuts.delegations()).toBe(MAX_CUTS + 10);
  });
});

function tuple(qname: string, qtype: string, data: string, i: number): DnsObservation {
  const o = emptyObservation(T0 + i, qname, qtype);
  o.rcode = null;
  o.answers = [rr(qname, qtype, data, null)];
  o.count = 5;
  o.firstSeen = T0;
  return o;
}
