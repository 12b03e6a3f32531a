/**
 * Synthetic traffic of a shared registry (a provider of free subdomains
 * whose customers delegate their own zones to their own name servers) and
 * of zones whose name servers rotate over bots, for the zone-cut tests.
 */
import type { Detector } from '../../src/detect/detector.js';
import { emptyObservation, type DnsObservation } from '../../src/model/observation.js';
import { aResponse, bot, rr, T0 } from './observations.js';

export const PROVIDER = 'freesub.net';
export const CUSTOMERS = 30;


/**
 * `cust<c>.freesub.net` delegated to its own two name servers at one
 * hosting network per customer (a different ASN each, glue in additional),
 * stable; its apex and `www` under it asked `lookups` times, a third of the
 * answers with the authority section. `ownerIsQname` writes the NS owner as
 * the query name, as Zeek's auth field does.
 */
export function customers(d: Detector, lookups: number, ownerIsQname = false, count = CUSTOMERS): void {
  for (let lookup = 0; lookup < lookups; lookup++) {
    for (let c = 0; c < count; c++) {
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
export function fluxZone(d: Detector, zone: string, names: string[], lookups: number, salt: number, ownerIsQname = false): void {
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

/** A passive-DNS tuple: one rdata, no TTL, counted. */
export function tuple(qname: string, qtype: string, data: string, i: number): DnsObservation {
  const o = emptyObservation(T0 + i, qname, qtype);
  o.rcode = null;
  o.answers = [rr(qname, qtype, data, null)];
  o.count = 5;
  o.firstSeen = T0;
  return o;
}
