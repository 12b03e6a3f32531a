import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { customers, fluxZone, PROVIDER, tuple, CUSTOMERS } from '../../test/helpers/zone-cuts.js';
import { defaultConfig } from '../config/schema.js';
import type { Verdict } from '../model/verdict.js';
import { Detector } from './detector.js';
import { MAX_CUTS, ZoneCuts } from './zone-cuts.js';


function run(feed: (d: Detector) => void) {
  const flags: Verdict[] = [];
  const finals: Verdict[] = [];
  const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, onFlag: (v) => flags.push(v), onFinal: (v) => finals.push(v), reportBenign: true });
  feed(detector);
  detector.flush();
  const find = (domain: string, scope = 'name') => finals.find((v) => v.domain === domain && v.scope === scope);
  return { flags, finals, find };
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

  it('reports the delegations as a lower bound beyond the cuts it remembers', () => {
    const { finals, find } = run((d) => customers(d, 3, false, MAX_CUTS + 6));
    expect(finals.filter((v) => v.verdict !== 'benign')).toEqual([]);
    expect(find(PROVIDER, 'registered_domain')!.reasons.some((r) => r.startsWith(`at least ${MAX_CUTS} delegated child zones`))).toBe(true);
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

  it('flags a child whose own NS set rotates over bots as double flux of that child (its zone), not the provider', () => {
    const child = `bad.${PROVIDER}`;
    const { find, finals } = run((d) => {
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
  });

  it('still flags the provider as double flux when its own apex NS set rotates', () => {
    const { find } = run((d) => {
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
  });

  it('keeps double flux of a zone whose names each claim the NS set (Zeek owners) as one zone', () => {
    const zone = 'double-trouble.ru';
    const { find } = run((d) => fluxZone(d, zone, [`www.${zone}`, `login.${zone}`, `cdn.${zone}`], 12, 900, true));
    for (const name of [`www.${zone}`, `login.${zone}`]) {
      const v = find(name)!;
      expect(v.flux).toBe('double');
      expect(v.zone).toBeUndefined();
    }
    expect(find(zone, 'registered_domain')!.flux).toBe('double');
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

  it('remembers at most MAX_CUTS cuts; the count is then a lower bound', () => {
    const cuts = new ZoneCuts('p.example');
    for (let i = 0; i < MAX_CUTS + 10; i++) cuts.note(`c${i}.p.example`, [`ns1.h${i}.example`, `ns2.h${i}.example`]);
    expect(cuts.dropped).toBe(10);
    expect(cuts.delegations()).toBe(MAX_CUTS);
  });
});
