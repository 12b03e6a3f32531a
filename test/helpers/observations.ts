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
