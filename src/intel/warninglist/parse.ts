/**
 * A MISP warninglist (misp-warninglists `lists/<name>/list.json`: name,
 * version, description, type, list, matching_attributes; the repository's
 * schema.json) read as an allowlist: the names and the networks it says are
 * known and legitimate. Pure and bounded, never throws on content; a value
 * it cannot use is skipped with its position (`file: list[i]`).
 *
 * The type decides how a listed name matches (README.md, "Matching"):
 * `string` — the name itself; `hostname` — the name and names under it;
 * `cidr` — addresses and networks. A value with a leading dot (`.google.ad`,
 * the form MISP's google and dynamic-DNS lists use) covers names under it
 * whatever the type. `regex` and `substring` lists are not read: one skip
 * names the list and counts its values. A pattern from a downloaded file is
 * not run against every looked-up name (a regex from a feed can backtrack
 * for seconds; a substring like `google` would allowlist `google.evil.example`).
 */
import { DEFAULT_PARSE_LIMITS, FeedCollector, type ParseLimits } from '../feed-text.js';
import { isJsonObject, readJson } from '../json-feed.js';
import { domainValue, hostValue, intelValue, type IntelValue } from '../values.js';
import type { ParsedFeed } from '../entry.js';

/** The types schema.json allows; a list without one is `string` (the README's default). */
export const WARNINGLIST_TYPES = ['string', 'substring', 'hostname', 'cidr', 'regex'] as const;
export type WarninglistType = (typeof WARNINGLIST_TYPES)[number];

/** A warninglist file past this is refused whole (the largest MISP list, a million names, is ~25 MB). */
export const MAX_WARNINGLIST_TEXT = 64 * 1024 * 1024;

/** MISP attribute types whose values are names, and those whose values are addresses. */
const NAME_ATTRIBUTES = new Set(['domain', 'hostname', 'domain|ip', 'hostname|port', 'url', 'uri', 'link']);
const ADDRESS_ATTRIBUTES = new Set(['ip-src', 'ip-dst', 'ip-src|port', 'ip-dst|port', 'domain|ip', 'ip']);

/**
 * One warninglist read. entries: `domain` (a name), `address`, `cidr` — the
 * values used, in one spelling (values.ts); a domain entry's note is
 * 'exact' (the name alone) or 'subdomains' (the name and names under it).
 */
export interface Warninglist extends ParsedFeed {
  /** The list's own name ('List of known Cloudflare IP ranges'); '' when it has none. */
  name: string;
  version: number | null;
  /** null when the file is no warninglist at all (one skip says why). */
  type: WarninglistType | null;
}

export const EXACT = 'exact';
export const SUBDOMAINS = 'subdomains';

export function parseWarninglist(text: string, source: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Warninglist {
  const feed = new FeedCollector(source, limits);
  const none = (reason: string): Warninglist => {
    feed.skip(source, reason);
    return { ...feed.result(), name: '', version: null, type: null };
  };
  const skipped: { position: string; reason: string }[] = [];
  const document = readJson(text, source, MAX_WARNINGLIST_TEXT, 'warninglist', skipped);
  if (document === undefined) return none(skipped[0]!.reason);
  if (!isJsonObject(document)) return none('not a warninglist (a JSON object with name, type and list)');
  const list = document.list;
  if (!Array.isArray(list)) return none('not a warninglist: no "list" array');
  const name = typeof document.name === 'string' ? document.name.slice(0, 200) : '';
  const version = typeof document.version === 'number' && Number.isInteger(document.version) ? document.version : null;
  const typeText = document.type === undefined ? 'string' : document.type;
  const type = WARNINGLIST_TYPES.find((t) => t === typeText);
  if (type === undefined) return none(`unknown warninglist type ${JSON.stringify(String(typeText).slice(0, 40))}`);
  const result = (): Warninglist => ({ ...feed.result(), name, version, type });
  if (type === 'regex' || type === 'substring') {
    feed.skip(source, `${type} list not read: ${list.length} values skipped (patterns from a feed are not matched against names)`);
    return result();
  }
  const accepts = acceptedKinds(document.matching_attributes);
  if (!accepts.names && !accepts.addresses) {
    feed.skip(source, `matching_attributes name no domain, hostname or address type: ${list.length} values skipped`);
    return result();
  }
  for (let i = 0; i < list.length && !feed.full; i++) {
    const ref = `${source}: list[${i}]`;
    const raw: unknown = list[i];
    if (typeof raw !== 'string') {
      feed.skip(ref, 'not a string');
      continue;
    }
    const value = listedValue(raw.trim(), type);
    if ('reason' in value) feed.skip(ref, value.reason);
    else if (!accepted(value, accepts)) feed.skip(ref, `${value.kind === 'domain' ? 'a name' : 'an address'} in a list whose matching_attributes take none`);
    else feed.add(value, ref, value.kind !== 'domain' ? '' : type === 'hostname' || raw.trim().charCodeAt(0) === 46 ? SUBDOMAINS : EXACT);
  }
  return result();
}

/** What a list may give, from matching_attributes; a list without them matches any attribute. */
function acceptedKinds(attributes: unknown): { names: boolean; addresses: boolean } {
  if (!Array.isArray(attributes) || attributes.length === 0) return { names: true, addresses: true };
  let names = false;
  let addresses = false;
  for (const a of attributes) {
    if (typeof a !== 'string') continue;
    if (NAME_ATTRIBUTES.has(a)) names = true;
    if (ADDRESS_ATTRIBUTES.has(a)) addresses = true;
  }
  return { names, addresses };
}

function accepted(value: { kind: string }, accepts: { names: boolean; addresses: boolean }): boolean {
  return value.kind === 'domain' ? accepts.names : accepts.addresses;
}

/** A listed value by the one value rule: a cidr list holds addresses and networks only. */
function listedValue(text: string, type: WarninglistType): IntelValue {
  if (text.length === 0) return { reason: 'empty value' };
  if (type === 'cidr') {
    const v = text.indexOf('/') === -1 ? hostValue(text) : intelValue(text);
    return 'reason' in v || v.kind !== 'domain' ? v : { reason: 'not an address or network (in a cidr list)' };
  }
  // '.example.com': the name and everything under it.
  if (text.charCodeAt(0) === 46 && text.length > 1) return domainValue(text.slice(1));
  return intelValue(text);
}
