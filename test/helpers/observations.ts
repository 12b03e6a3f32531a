/** Builders for DnsObservation in tests. */
import type { DnsObservation, ResourceRecord } from '../../src/model/observation.js';
import { emptyObservation } from '../../src/model/observation.js';

export const T0 = Date.UTC(2025, 3, 3) / 1000;

export function rr(name: string, type: string, data: string, ttl: number | null = 300): ResourceRecord {
  return { name, type, data, ttl };
}

/** A response to an A query for qname with the given addresses (and optional extra sections). */
export function aResponse(
  ts: number,
  qname: string,
  addresses: string[],
  ttl: number | null = 300,
  extra: Partial<Pick<DnsObservation, 'authority' | 'additional' | 'client' | 'count' | 'firstSeen'>> = {},
): DnsObservation {
  const obs = emptyObservation(ts, qname, 'A');
  obs.rcode = 'NOERROR';
  obs.answers = addresses.map((a) => rr(qname, a.includes(':') ? 'AAAA' : 'A', a, ttl));
  Object.assign(obs, extra);
  return obs;
}

/**
 * A bot's address for index i: the first octet (the octet enricher's ASN and country) varies, and
 * loopback, CGN, link-local, private and benchmarking first octets are stepped over: they are no
 * public host's (never counted as diversity).
 */
export function bot(i: number): string {
  const first = 11 + ((i * 7) % 200);
  const octet = [100, 127, 169, 172, 192, 198].includes(first) ? first + 1 : first;
  return `${octet}.${(i * 13) % 250}.${(i * 29) % 250}.${1 + (i % 250)}`;
}

/**
 * A flux name seen by `client` for an hour: 12 lookups 300 s apart from
 * `start`, 5 fresh bot addresses each at TTL 120, handed to `observe`.
 * Returns the 60 addresses in the order they were answered.
 */
export function rotateFlux(observe: (o: DnsObservation) => void, start: number, qname: string, client: string): string[] {
  const addresses: string[] = [];
  for (let lookup = 0; lookup < 12; lookup++) {
    const answer = [0, 1, 2, 3, 4].map((k) => bot(lookup * 5 + k));
    addresses.push(...answer);
    observe(aResponse(start + lookup * 300, qname, answer, 120, { client }));
  }
  return addresses;
}
