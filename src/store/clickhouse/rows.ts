/**
 * One observation as a row of the cluster's `observations` table, and back.
 * The row carries the enriched columns the materialized views aggregate
 * (addresses, /16 and /32 prefixes, ASNs, countries, TTLs, name servers) and
 * the observation itself as JSON, so a judge replays exactly what the sensor
 * saw through the same detector. The token (sensor, batch, seq) makes a
 * retried batch's rows the same rows (the table replaces on it).
 */
import { partitionKey } from '../../detect/partition.js';
import type { Enricher } from '../../enrich/enricher.js';
import type { DnsObservation, ResourceRecord } from '../../model/observation.js';

/** Which insert a row belongs to: the sensor's name, its batch number (increasing) and the row's place in it. */
export interface RowToken {
  sensor: string;
  batch: number;
  seq: number;
}

export interface ObservationRow {
  ts_ms: number;
  sensor: string;
  batch: number;
  seq: number;
  name: string;
  registered: string;
  qtype: string;
  rcode: string;
  client: string;
  customer: string;
  addresses: string[];
  prefixes: string[];
  asns: number[];
  countries: string[];
  ttls: number[];
  name_servers: string[];
  targets: string[];
  observation: string;
}

export function observationRow(o: DnsObservation, enricher: Enricher, token: RowToken): ObservationRow {
  const addresses: string[] = [];
  const prefixes: string[] = [];
  const asns: number[] = [];
  const countries: string[] = [];
  const ttls: number[] = [];
  const nameServers: string[] = [];
  const targets: string[] = [];
  for (const rr of o.answers) {
    if (rr.ttl !== null) ttls.push(rr.ttl);
    if (rr.type === 'A' || rr.type === 'AAAA') {
      addresses.push(rr.data);
      prefixes.push(prefixOf(rr));
      const facts = enricher.lookup(rr.data);
      asns.push(facts?.asn ?? 0);
      countries.push(facts?.country ?? '');
    } else if (rr.type === 'NS') nameServers.push(rr.data);
    else if (rr.type === 'CNAME') targets.push(rr.data);
  }
  for (const rr of o.authority) if (rr.type === 'NS') nameServers.push(rr.data);
  return {
    ts_ms: Math.round(o.ts * 1000),
    sensor: token.sensor,
    batch: token.batch,
    seq: token.seq,
    name: o.qname,
    registered: partitionKey(o.qname),
    qtype: o.qtype,
    rcode: o.rcode ?? '',
    client: o.client ?? '',
    customer: o.customer ?? '',
    addresses,
    prefixes,
    asns,
    countries,
    ttls,
    name_servers: nameServers,
    targets,
    observation: JSON.stringify(o),
  };
}

/** The observation a row carries; null (to be counted as skipped) when its JSON is not one. */
export function observationOf(row: Pick<ObservationRow, 'observation'>): DnsObservation | null {
  let value: unknown;
  try {
    value = JSON.parse(row.observation);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Partial<DnsObservation>;
  if (typeof o.ts !== 'number' || typeof o.qname !== 'string' || typeof o.qtype !== 'string') return null;
  if (!Array.isArray(o.answers) || !Array.isArray(o.authority) || !Array.isArray(o.additional)) return null;
  return o as DnsObservation;
}

/** IPv4: the /16 ('192.0'); IPv6: the /32 (first two groups of the canonical text). */
function prefixOf(rr: ResourceRecord): string {
  const text = rr.data;
  if (rr.type === 'A') return text.slice(0, text.indexOf('.', text.indexOf('.') + 1));
  const second = text.indexOf(':', text.indexOf(':') + 1);
  return second === -1 ? text : text.slice(0, second);
}
