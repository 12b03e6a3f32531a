/** The time-driven parts of the look-alike behaviours, on hand-made setups. */
import { describe, expect, it } from 'vitest';
import type { NameLabel } from '../labels.js';
import { Prng } from '../prng.js';
import { ResponseBuilder } from '../response.js';
import type { DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import type { AccessNetworks } from './dynamic-dns.js';
import { DynamicDnsName } from './dynamic-dns.js';
import { SteeredName } from './steered.js';

const SERVERS: ZoneServers = { zone: 'example.net', ns: ['ns1.example.net'], glue: [], ttl: 3600 };
const label = (name: string): NameLabel => ({ name, registeredDomain: 'example.net', class: 'dynamic-dns', flux: null, network: null });

function ask(b: DomainBehaviour, ts: number, rng: Prng, qtype: QueryType = 'A'): string[] {
  const out = new ResponseBuilder();
  out.begin(ts, b.label.name, qtype, '10.1.0.1');
  b.respond(ts, qtype, out, rng);
  return out.observation.answers.map((r) => `${r.type} ${r.data} ${r.ttl}`);
}

/** Two ISPs with addresses numbered in order, so a renumbering is visible. */
function isps(): AccessNetworks {
  let n = 0;
  return { asns: [1, 2], addressV4: (asn) => `192.0.${asn}.${++n}`, addressV6: () => '' };
}

describe('DynamicDnsName', () => {
  const setup = { label: label('nas.example.net'), asn: 1, v4: '192.0.1.100', v6: '', ttl: 60, phase: 0, servers: SERVERS };

  it('keeps one address until the lease ends, then takes a new one from the same ISP', () => {
    const b = new DynamicDnsName({ ...setup, networks: isps(), leaseSeconds: 3600, moveChance: 0 });
    const rng = new Prng(1);
    expect(ask(b, 100, rng)).toEqual(['A 192.0.1.100 20']);
    expect(ask(b, 3500, rng)).toEqual(['A 192.0.1.100 40']);
    expect(ask(b, 3700, rng)).toEqual(['A 192.0.1.1 20']);
    expect(ask(b, 7100, rng)).toEqual(['A 192.0.1.1 40']);
    expect(ask(b, 7300, rng, 'AAAA')).toEqual([]);
  });

  it('moves to another ISP when a renumbering says so', () => {
    const b = new DynamicDnsName({ ...setup, networks: isps(), leaseSeconds: 3600, moveChance: 1 });
    const rng = new Prng(1);
    ask(b, 100, rng);
    expect(ask(b, 3700, rng)).toEqual(['A 192.0.2.1 20']);
  });
});

describe('SteeredName', () => {
  const routes = [
    { chain: [{ target: 'a.cdn-one.net', ttl: 60 }], v4: ['198.51.100.1', '198.51.100.2'], v6: [] },
    { chain: [{ target: 'b.cdn-two.net', ttl: 60 }], v4: ['203.0.113.1', '203.0.113.2'], v6: [] },
  ];
  const setup = { label: label('www.example.net'), routes, steerTtl: 60, addressTtl: 20, perAnswer: 2, selection: 'window' as const, phase: 0, servers: SERVERS };

  it('answers the CNAME of the current route and its addresses', () => {
    const b = new SteeredName({ ...setup, stickiness: 1 });
    const answer = ask(b, 0, new Prng(3));
    expect(answer).toHaveLength(3);
    const cdn = (answer[0] as string).includes('cdn-one') ? '198.51.100.' : '203.0.113.';
    for (const line of answer.slice(1)) expect(line).toContain(cdn);
  });

  it('never leaves its route with stickiness 1, and moves between routes otherwise', () => {
    const seen = (stickiness: number): Set<string> => {
      const b = new SteeredName({ ...setup, stickiness });
      const rng = new Prng(5);
      const targets = new Set<string>();
      for (let ts = 0; ts < 6000; ts += 61) targets.add((ask(b, ts, rng)[0] as string).split(' ')[1] as string);
      return targets;
    };
    expect(seen(1).size).toBe(1);
    expect(seen(0.5).size).toBe(2);
  });
});
