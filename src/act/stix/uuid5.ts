/**
 * RFC 9562 name-based UUIDs (version 5, SHA-1) and the canonical JSON the
 * STIX 2.1 deterministic ids hash (section 2.9: the ID contributing
 * properties serialised by RFC 8785, JSON Canonicalization Scheme).
 * node:crypto has no UUIDv5, and a dependency for thirty lines is not worth it.
 */
import { createHash } from 'node:crypto';

/** STIX 2.1, 2.9: the namespace every SCO id is derived under. */
export const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

/**
 * fluxhound's own namespace for the SDOs and SROs it writes (indicator,
 * infrastructure, relationship, identity, bundle): UUIDv5 of the string
 * 'fluxhound' under the STIX SCO namespace, so anyone can recompute it.
 * Fixed forever: changing it changes every id fluxhound has published.
 */
export const FLUXHOUND_NAMESPACE = 'dcb755d4-690b-5df7-9c0e-e5c67bf11b1b';

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Ids already computed: the daemon rebuilds the same bundle again and again
 * (serve --stix, TAXII), and hashing is most of a build's time. Bounded:
 * emptied whole when full (a cold rebuild is the worst case, never growth).
 */
const memo = new Map<string, string>();
const MEMO_ENTRIES = 262_144;

export function uuidv5(namespace: string, name: string): string {
  const key = `${namespace}${name}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const id = computeUuidv5(namespace, name);
  if (memo.size >= MEMO_ENTRIES) memo.clear();
  memo.set(key, id);
  return id;
}

function computeUuidv5(namespace: string, name: string): string {
  const hasher = uuidv5Hasher(namespace);
  hasher.update(name);
  return hasher.digest();
}

/**
 * uuidv5 of a name given in parts (the same UUID as of their concatenation):
 * a bundle's id hashes the ids of 100,000 objects, fed a slice at a time
 * rather than as one string held and hashed at once. Not memoised.
 */
export function uuidv5Hasher(namespace: string): { update(part: string): void; digest(): string } {
  if (!UUID_TEXT.test(namespace)) throw new Error(`uuidv5: not a UUID: '${namespace}'`);
  const sha1 = createHash('sha1').update(Buffer.from(namespace.replaceAll('-', ''), 'hex'));
  return {
    update: (part) => void sha1.update(part, 'utf8'),
    digest: () => formatUuidv5(sha1.digest()),
  };
}

function formatUuidv5(hash: Buffer): string {
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export type CanonicalValue = string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue };

/**
 * RFC 8785 for the values fluxhound hashes: keys sorted by UTF-16 code units
 * (JavaScript's default sort), no whitespace, strings as JSON.stringify
 * writes them (the RFC adopts ECMAScript's serialisation). Integers only:
 * no id-contributing property fluxhound writes is fractional.
 */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`canonicalJson: only safe integers, not ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}

/** STIX 2.1, 2.9: `type--UUIDv5(namespace, canonical JSON of the id-contributing properties)`. */
export function scoId(type: string, contributing: { [key: string]: CanonicalValue }): string {
  return `${type}--${uuidv5(STIX_SCO_NAMESPACE, canonicalJson(contributing))}`;
}

/** An SDO/SRO id that a re-run over the same data reproduces. */
export function fluxhoundId(type: string, content: { [key: string]: CanonicalValue }): string {
  return `${type}--${uuidv5(FLUXHOUND_NAMESPACE, canonicalJson({ type, ...content }))}`;
}
