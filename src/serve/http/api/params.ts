/**
 * Query-string parameters of the API, parsed one way for every route: times
 * (ISO 8601 or epoch seconds), bounded integers, enums, names, client
 * addresses. A bad value throws a ParamError naming the parameter; the route
 * table turns it into 400 {error: "limit: ..."} and counts it.
 */
import { escapeName } from '../../../dns/name-text.js';
import { canonicalName, isPlausibleName, parseIPv4, parseIPv6 } from '../../../model/names.js';
import { aLabels } from '../../lists/entry.js';

export class ParamError extends Error {
  override name = 'ParamError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

/** Values echoed in an error message are cut short (they are echoed through JSON only). */
function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/** The one value of a parameter; repeated parameters are refused, so a filter is never silently half-applied. */
export function single(query: URLSearchParams, name: string): string | null {
  const all = query.getAll(name);
  if (all.length > 1) throw new ParamError(name, 'given more than once');
  const value = all[0];
  return value === undefined || value === '' ? null : value;
}

// Epoch seconds between 1970 and 5138 (11 digits), optionally fractional.
const EPOCH = /^\d{1,11}(\.\d{1,6})?$/;
// ISO 8601 date or date-time, UTC or with an offset.
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A time as ISO 8601 or epoch seconds → seconds since the epoch; `fallback` when absent. */
export function time(query: URLSearchParams, name: string, fallback: number): number {
  const text = single(query, name);
  if (text === null) return fallback;
  if (EPOCH.test(text)) return Number(text);
  if (ISO.test(text)) {
    // A date alone, or a date-time without an offset, is UTC (not the server's zone).
    const iso = text.length === 10 ? `${text}T00:00:00Z` : /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
    const ms = Date.parse(iso.replace(' ', 'T'));
    if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  }
  throw new ParamError(name, `${shown(text)} is not a time (ISO 8601 or epoch seconds)`);
}

/** [since, until) with since <= until; defaults when absent. */
export function timeRange(query: URLSearchParams, defaults: { since: number; until: number }): { since: number; until: number } {
  const since = time(query, 'since', defaults.since);
  const until = time(query, 'until', defaults.until);
  if (since > until) throw new ParamError('since', 'is after until');
  return { since, until };
}

/** A whole number in [min, max]; `fallback` when absent. */
export function integer(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = single(query, name);
  if (text === null) return fallback;
  if (!/^\d{1,16}$/.test(text)) throw new ParamError(name, `${shown(text)} is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new ParamError(name, `must be between ${min} and ${max}`);
  return n;
}

/** One of `values`; `fallback` when absent. */
export function oneOf<T extends string>(query: URLSearchParams, name: string, values: readonly T[], fallback: T): T;
export function oneOf<T extends string>(query: URLSearchParams, name: string, values: readonly T[], fallback: null): T | null;
export function oneOf<T extends string>(query: URLSearchParams, name: string, values: readonly T[], fallback: T | null): T | null {
  const text = single(query, name);
  if (text === null) return fallback;
  if (!(values as readonly string[]).includes(text)) throw new ParamError(name, `${shown(text)} is not one of ${values.join(', ')}`);
  return text as T;
}

/** A comma-separated list of `values` (each at most once); null when absent. */
export function someOf<T extends string>(query: URLSearchParams, name: string, values: readonly T[]): T[] | null {
  const text = single(query, name);
  if (text === null) return null;
  const out: T[] = [];
  for (const part of text.split(',')) {
    if (!(values as readonly string[]).includes(part)) throw new ParamError(name, `${shown(part)} is not one of ${values.join(', ')}`);
    if (!out.includes(part as T)) out.push(part as T);
  }
  return out;
}

/**
 * A DNS name as the rest of fluxhound keys names: in the one escaping rule
 * (a byte the rule does not write as itself becomes \DDD; escapes already
 * there stay), lower case, no trailing dot.
 */
export function domainName(text: string, parameter: string): string {
  // An internationalised name is asked on the wire as its A-labels (xn--): read it as the lists do.
  const ascii = aLabels(text) || text;
  const name = canonicalName(escapeName(ascii));
  if (!isPlausibleName(name) || name === '.') throw new ParamError(parameter, `${shown(text)} is not a domain name`);
  return name;
}

/** An optional name parameter. */
export function optionalName(query: URLSearchParams, name: string): string | null {
  const text = single(query, name);
  return text === null ? null : domainName(text, name);
}

/** A free-text filter, at most `max` characters. */
export function text(query: URLSearchParams, name: string, max: number): string | null {
  const value = single(query, name);
  if (value !== null && value.length > max) throw new ParamError(name, `longer than ${max} characters`);
  return value;
}

/** A client address or a CIDR network of clients ('192.0.2.7', '192.0.2.0/24', '2001:db8::/32'). */
export function client(query: URLSearchParams, name: string): string | null {
  const value = single(query, name);
  if (value === null) return null;
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const v4 = parseIPv4(address) >= 0;
  if (!v4 && parseIPv6(address) === null) throw new ParamError(name, `${shown(value)} is not an address or a CIDR network`);
  if (slash >= 0) {
    const bits = value.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > (v4 ? 32 : 128)) throw new ParamError(name, `${shown(value)} has a bad prefix length`);
  }
  return value;
}
