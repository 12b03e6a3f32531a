import { describe, expect, it } from 'vitest';
import { aResponse, bot, T0 } from '../../test/helpers/observations.js';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { defaultConfig } from '../config/schema.js';
import { Detector } from './detector.js';

describe('Detector.networkMembers', () => {
  it("shows a network's domains, its addresses with AS and country, and which domain resolved to which address", () => {
    const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher });
    // Two botnet names sharing their bots: one network.
    for (const [name, salt] of [['login.evil-bank.com', 0], ['pay.evil-bank.net', 0]] as const) {
      for (let lookup = 0; lookup < 12; lookup++) detector.observe(aResponse(T0 + lookup * 300, name, [0, 1, 2, 3, 4].map((k) => bot(salt + lookup * 5 + k)), 120));
    }
    const [summary] = detector.networks.summaries();
    expect(summary?.id).toBe('fn-1');
    const members = detector.networkMembers('fn-1', 1000)!;
    expect(members.id).toBe('fn-1');
    expect(members.domains).toEqual(summary!.sample_domains);
    expect(members.addresses).toHaveLength(summary!.addresses);
    const facts = octetEnricher.lookup(bot(0))!;
    expect(members.addresses.find((a) => a.address === bot(0))).toEqual({ address: bot(0), asn: facts.asn, country: facts.country });
    for (const domain of members.domains) expect(members.edges.filter((e) => e.domain === domain).length).toBeGreaterThan(0);
    expect(members.edges.every((e) => members.addresses.some((a) => a.address === e.address))).toBe(true);
    // Bounded: at most `limit` addresses.
    expect(detector.networkMembers('fn-1', 7)!.addresses).toHaveLength(7);
    for (const absent of ['fn-2', 'fn-0', 'fn-x', 'fn-1 ', '1']) expect(detector.networkMembers(absent, 10)).toBeNull();
  });
});
