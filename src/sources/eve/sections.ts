/**
 * Suricata's record objects (`{rrname, rrtype, ttl, rdata | soa | srv | sshfp}`,
 * in answers/authorities/additionals) and the `grouped` answer form, as
 * ResourceRecords.
 */
import type { ResourceRecord } from '../../model/observation.js';
import { canonicalName } from '../../model/names.js';
import { isJsonObject, stringField } from '../line-decoder.js';
import type { JsonObject } from '../line-decoder.js';
import { resourceRecord } from '../records.js';
import { rrType, shown, ttlOrInvalid } from '../values.js';

/** A TTL field: null when absent, -1 when present but not a TTL. */
export function eveTtl(value: unknown): number | null {
  if (value === undefined) return null;
  return typeof value === 'number' ? ttlOrInvalid(value) : -1;
}

/** Presentation text of rdata that Suricata logs as an object (SOA, SRV, SSHFP) or a string. */
export function eveData(item: unknown): string | null {
  if (typeof item === 'string') return item;
  if (!isJsonObject(item)) return null;
  const rdata = stringField(item, 'rdata');
  if (rdata !== undefined) return rdata;
  if (isJsonObject(item['soa'])) return soaText(item['soa']);
  if (isJsonObject(item['srv'])) return fieldsText(item['srv'], ['priority', 'weight', 'port', 'name']);
  if (isJsonObject(item['sshfp'])) return fieldsText(item['sshfp'], ['algo', 'type', 'fingerprint']);
  // Grouped SOA/SRV entries are the inner objects themselves.
  if ('mname' in item) return soaText(item);
  if ('port' in item && 'name' in item) return fieldsText(item, ['priority', 'weight', 'port', 'name']);
  return null;
}

function soaText(soa: JsonObject): string {
  const names = ['mname', 'rname'].map((key) => {
    const value = stringField(soa, key);
    return value === undefined ? '.' : canonicalName(value);
  });
  return [...names, fieldsText(soa, ['serial', 'refresh', 'retry', 'expire', 'minimum'])].join(' ').trimEnd();
}

function fieldsText(object: JsonObject, keys: readonly string[]): string {
  const parts: string[] = [];
  for (const key of keys) {
    const value = object[key];
    if (typeof value === 'string' || typeof value === 'number') parts.push(String(value));
  }
  return parts.join(' ');
}

/**
 * Append the usable records of one section. Records without a type or owner,
 * EDNS OPT pseudo-records and data that does not fit its type are dropped;
 * a malformed TTL makes the whole event suspect, so its reason is returned.
 */
export function readSection(list: unknown, out: ResourceRecord[]): string | null {
  if (list === undefined) return null;
  if (!Array.isArray(list)) return `bad record list ${shown(list)}`;
  for (const item of list) {
    if (!isJsonObject(item)) continue;
    const record = eveRecord(item);
    if (typeof record === 'string') return record;
    if (record !== null) out.push(record);
  }
  return null;
}

/** One record object; a string is the reason the event must be skipped. */
export function eveRecord(item: JsonObject): ResourceRecord | string | null {
  const ttl = eveTtl(item['ttl']);
  if (ttl === -1) return `bad TTL ${shown(item['ttl'])}`;
  const type = rrType(item['rrtype']);
  const owner = stringField(item, 'rrname');
  if (type === null || type === 'OPT' || owner === undefined) return null;
  const data = eveData(item);
  return data === null ? null : resourceRecord(owner, type, data, ttl);
}

/** The `grouped` form (`{"A": ["192.0.2.1"], "CNAME": [...]}`): no owners or TTLs, so owner is the query name. */
export function readGrouped(grouped: JsonObject, qname: string, out: ResourceRecord[]): void {
  for (const key of Object.keys(grouped)) {
    const type = rrType(key);
    const values = grouped[key];
    if (type === null || !Array.isArray(values)) continue;
    for (const value of values) {
      const data = eveData(value);
      const record = data === null ? null : resourceRecord(qname, type, data, null);
      if (record !== null) out.push(record);
    }
  }
}
