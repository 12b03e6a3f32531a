/**
 * STIX 2.1 feed reader: a bundle (or a bare list of objects) in, the domains,
 * addresses and networks it names out, each with the STIX id it came from.
 * Pure and bounded; anything it cannot use is skipped and counted with the
 * object's id, never thrown (README.md lists what is used and what not).
 */
import type { IntelEntry, IntelSkip, ParsedFeed } from '../entry.js';
import { isJsonObject, readJson, type JsonObject } from '../json-feed.js';
import { addressOrNetwork, domainValue, type IntelValue } from '../values.js';
import { readPattern, type Comparison } from './pattern.js';

export interface StixOptions {
  /** Epoch ms that `valid_until` is compared with (a parameter so a run is reproducible); default Date.now(). */
  now?: number;
}

/** Bundle text past this is refused whole (a TAXII page or a feed file is far smaller). */
export const MAX_STIX_TEXT = 64 * 1024 * 1024;
/** Objects read from one bundle; the rest is skipped with one count. */
export const MAX_STIX_OBJECTS = 200_000;

/** Object paths fluxhound acts on, and the value each compares. */
const PATH_KINDS = new Map<string, 'domain' | 'address'>([
  ['domain-name:value', 'domain'],
  ['ipv4-addr:value', 'address'],
  ['ipv6-addr:value', 'address'],
]);

/** Relationships that put an SCO in an infrastructure (STIX 2.1 §4.8 infrastructure relationships). */
const INFRASTRUCTURE_LINKS = new Set(['consists-of', 'resolves-to']);

type StixObject = JsonObject;

export function parseStix(text: string, source: string, options: StixOptions = {}): ParsedFeed {
  const skipped: IntelSkip[] = [];
  const document = readJson(text, source, MAX_STIX_TEXT, 'bundle', skipped);
  if (document === undefined) return { entries: [], skipped };
  const objects = bundleObjects(document);
  if (objects === null) {
    skipped.push({ position: source, reason: 'not a STIX bundle or list of objects' });
    return { entries: [], skipped };
  }
  return parseStixObjects(objects, source, options, skipped);
}

/**
 * The objects of a bundle already in memory (a TAXII union, an inbox post):
 * the same reading as parseStix without a text to parse, so a caller holding
 * objects never stringifies them (nor meets MAX_STIX_TEXT), only the object
 * cap. Each entry carries the validUntil its indicators give (see
 * indicatorValidity), checked at lookup.
 */
export function parseStixObjects(objects: readonly unknown[], source: string, options: StixOptions = {}, skipped: IntelSkip[] = []): ParsedFeed {
  const now = options.now ?? Date.now();
  const entries: IntelEntry[] = [];
  const count = Math.min(objects.length, MAX_STIX_OBJECTS);
  if (objects.length > count) {
    skipped.push({ position: source, reason: `bundle has ${objects.length} objects, read the first ${count}` });
  }
  const infrastructureNotes = infrastructureNames(objects, count, source, now, skipped);
  const validity = indicatorValidity(objects, count);
  for (let i = 0; i < count; i++) {
    const object = objects[i];
    if (!isObject(object) || typeof object.type !== 'string') {
      skipped.push({ position: `${source}: objects[${i}]`, reason: 'not a STIX object' });
      continue;
    }
    const id = typeof object.id === 'string' ? object.id.slice(0, 200) : `objects[${i}]`;
    const position = `${source}: ${id}`;
    if (object.type === 'indicator') {
      if (usable(object, now, position, skipped)) readIndicator(object, id, position, validUntilOf(object), entries, skipped);
    } else if (SCO_KINDS.has(object.type)) {
      if (!usable(object, now, position, skipped)) continue;
      const until = typeof object.id === 'string' ? validity.scoUntil(object.id) : null;
      if (until !== null && !(now < until)) {
        skipped.push({ position, reason: 'expired (every indicator related to it is past valid_until or revoked)' });
        continue;
      }
      readObservable(object, id, position, infrastructureNotes.get(id) ?? '', until, entries, skipped);
    }
  }
  return { entries, skipped };
}

/** Maps, not object literals: a hostile type such as 'constructor' must not find a prototype member. */
const SCO_KINDS = new Map<string, 'domain' | 'address'>([['domain-name', 'domain'], ['ipv4-addr', 'address'], ['ipv6-addr', 'address']]);

const isObject = isJsonObject;

function bundleObjects(document: unknown): readonly unknown[] | null {
  if (Array.isArray(document)) return document;
  if (isObject(document) && document.type === 'bundle') return Array.isArray(document.objects) ? document.objects : [];
  return null;
}

/** False (and a skip) for a revoked object or one whose valid_until has passed. */
function usable(object: StixObject, now: number, position: string, skipped: IntelSkip[]): boolean {
  if (object.revoked === true) {
    skipped.push({ position, reason: 'revoked' });
    return false;
  }
  if (typeof object.valid_until === 'string') {
    const until = Date.parse(object.valid_until);
    if (Number.isNaN(until)) {
      skipped.push({ position, reason: 'valid_until is not a timestamp' });
      return false;
    }
    if (until <= now) {
      skipped.push({ position, reason: 'expired (valid_until has passed)' });
      return false;
    }
  }
  return true;
}

/** SCO id → the names of the infrastructures that consist of it or resolve to it, joined. */
function infrastructureNames(objects: readonly unknown[], count: number, source: string, now: number, skipped: IntelSkip[]): Map<string, string> {
  const names = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const object = objects[i];
    if (!isObject(object) || object.type !== 'infrastructure' || typeof object.id !== 'string') continue;
    if (!usable(object, now, `${source}: ${object.id.slice(0, 200)}`, skipped)) continue;
    names.set(object.id, typeof object.name === 'string' ? object.name.slice(0, 500) : '');
  }
  const notes = new Map<string, string>();
  if (names.size === 0) return notes;
  for (let i = 0; i < count; i++) {
    const link = objects[i];
    if (!isObject(link) || link.type !== 'relationship' || link.revoked === true) continue;
    if (typeof link.relationship_type !== 'string' || !INFRASTRUCTURE_LINKS.has(link.relationship_type)) continue;
    if (typeof link.source_ref !== 'string' || typeof link.target_ref !== 'string') continue;
    const name = names.get(link.source_ref);
    if (name === undefined) continue;
    addNote(notes, link.target_ref, `infrastructure: ${name}`);
  }
  // One hop on: a domain-name the infrastructure consists of that resolves-to an address
  // (the shape fluxhound's own --stix output has) lends the address its note.
  for (let i = 0; i < count && notes.size > 0; i++) {
    const link = objects[i];
    if (!isObject(link) || link.type !== 'relationship' || link.revoked === true || link.relationship_type !== 'resolves-to') continue;
    if (typeof link.source_ref !== 'string' || typeof link.target_ref !== 'string' || !link.source_ref.startsWith('domain-name--')) continue;
    const note = notes.get(link.source_ref);
    if (note !== undefined) addNote(notes, link.target_ref, note);
  }
  return notes;
}

function addNote(notes: Map<string, string>, id: string, note: string): void {
  const before = notes.get(id);
  if (before === undefined) notes.set(id, note);
  else if (!before.split('; ').includes(note) && before.length < 2000) notes.set(id, `${before}; ${note}`);
}

function readObservable(object: StixObject, id: string, position: string, note: string, until: number | null, entries: IntelEntry[], skipped: IntelSkip[]): void {
  if (typeof object.value !== 'string') {
    skipped.push({ position, reason: 'observable has no value' });
    return;
  }
  const value = SCO_KINDS.get(object.type as string) === 'domain' ? domainValue(object.value) : addressOrNetwork(object.value);
  if ('reason' in value) skipped.push({ position, reason: value.reason });
  else entries.push(withUntil({ kind: value.kind, value: value.value, ref: id, note }, until));
}

function readIndicator(object: StixObject, id: string, position: string, until: number | null, entries: IntelEntry[], skipped: IntelSkip[]): void {
  if (object.pattern_type !== 'stix') {
    skipped.push({ position, reason: `pattern_type ${String(object.pattern_type).slice(0, 40)} unsupported` });
    return;
  }
  if (typeof object.pattern !== 'string') {
    skipped.push({ position, reason: 'indicator has no pattern' });
    return;
  }
  const reading = readPattern(object.pattern);
  if (!reading.ok) {
    skipped.push({ position, reason: reading.reason });
    return;
  }
  const note = indicatorNote(object);
  // The comparisons are OR-ed (readPattern refuses anything else), so each usable one stands on its own.
  for (const comparison of reading.comparisons) {
    const value = comparisonValue(comparison);
    if ('reason' in value) skipped.push({ position, reason: value.reason });
    else entries.push(withUntil({ kind: value.kind, value: value.value, ref: id, note }, until));
  }
}

/** The entry with validUntil set when there is a finite one (absent: the feed's expiry alone). */
function withUntil(entry: IntelEntry, until: number | null): IntelEntry {
  if (until !== null && Number.isFinite(until)) entry.validUntil = until;
  return entry;
}

/** An indicator's valid_until in epoch ms; null when it has none (or none readable: usable() skipped it). */
function validUntilOf(object: StixObject): number | null {
  if (typeof object.valid_until !== 'string') return null;
  const until = Date.parse(object.valid_until);
  return Number.isNaN(until) ? null : until;
}

/** Relationships through which an indicator speaks for an SCO (STIX 2.1 §4.8, §4.9 relationships). */
const VALIDITY_LINKS = new Set(['indicates', 'consists-of', 'resolves-to']);

/**
 * How long each SCO stays valid: the latest valid_until among the
 * indicators related to it within two hops, where a hop is a relationship
 * (indicates, consists-of, resolves-to; either direction) or an indicator's
 * pattern naming the SCO's value. That covers fluxhound's own bundle
 * (domain-name ← pattern of indicator; address ← resolves-to domain-name;
 * address ← consists-of infrastructure ← indicates indicator). A revoked
 * indicator counts as already past; one without valid_until as never
 * ending. Linear in objects and relationships: each node's one-hop best is
 * computed once, and the second hop reads those.
 */
function indicatorValidity(objects: readonly unknown[], count: number): { scoUntil(id: string): number | null } {
  const indicatorUntil = new Map<string, number>();
  const byValue = new Map<string, number>();
  const scoKey = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const object = objects[i];
    if (!isObject(object) || typeof object.id !== 'string') continue;
    if (object.type === 'indicator') {
      const readable = typeof object.valid_until !== 'string' || !Number.isNaN(Date.parse(object.valid_until));
      if (!readable) continue;
      const until = object.revoked === true ? -Infinity : (validUntilOf(object) ?? Infinity);
      indicatorUntil.set(object.id, until);
      if (object.pattern_type !== 'stix' || typeof object.pattern !== 'string') continue;
      const reading = readPattern(object.pattern);
      if (!reading.ok) continue;
      for (const comparison of reading.comparisons) {
        const value = comparisonValue(comparison);
        if ('reason' in value) continue;
        const key = `${value.kind} ${value.value}`;
        byValue.set(key, Math.max(byValue.get(key) ?? -Infinity, until));
      }
    } else if (typeof object.type === 'string' && SCO_KINDS.has(object.type) && typeof object.value === 'string') {
      const value = SCO_KINDS.get(object.type) === 'domain' ? domainValue(object.value) : addressOrNetwork(object.value);
      if (!('reason' in value)) scoKey.set(object.id, `${value.kind} ${value.value}`);
    }
  }
  const neighbours = new Map<string, string[]>();
  const link = (a: string, b: string): void => {
    const list = neighbours.get(a);
    if (list === undefined) neighbours.set(a, [b]);
    else list.push(b);
  };
  for (let i = 0; i < count; i++) {
    const r = objects[i];
    if (!isObject(r) || r.type !== 'relationship' || r.revoked === true) continue;
    if (typeof r.relationship_type !== 'string' || !VALIDITY_LINKS.has(r.relationship_type)) continue;
    if (typeof r.source_ref !== 'string' || typeof r.target_ref !== 'string') continue;
    link(r.source_ref, r.target_ref);
    link(r.target_ref, r.source_ref);
  }
  // One hop: indicators adjacent by a relationship, and (for an SCO) those whose pattern names its value.
  const oneHop = new Map<string, number>();
  const hop = (id: string): number => {
    const known = oneHop.get(id);
    if (known !== undefined) return known;
    let best = NaN;
    const key = scoKey.get(id);
    const named = key === undefined ? undefined : byValue.get(key);
    if (named !== undefined) best = named;
    for (const n of neighbours.get(id) ?? []) {
      const until = indicatorUntil.get(n);
      if (until !== undefined && !(until <= best)) best = until;
    }
    oneHop.set(id, best);
    return best;
  };
  return {
    scoUntil(id: string): number | null {
      let best = hop(id);
      for (const n of neighbours.get(id) ?? []) {
        if (indicatorUntil.has(n)) continue;
        const until = hop(n);
        if (!Number.isNaN(until) && !(until <= best)) best = until;
      }
      // NaN: no indicator relates to it. Infinity: one without valid_until does.
      return Number.isNaN(best) ? null : best;
    },
  };
}

function indicatorNote(object: StixObject): string {
  const name = typeof object.name === 'string' ? object.name : '';
  const description = typeof object.description === 'string' ? object.description : '';
  return (name.length > 0 ? name : description).slice(0, 500);
}

/** The entry one comparison stands for, or why it stands for none. */
function comparisonValue(comparison: Comparison): IntelValue {
  const kind = PATH_KINDS.get(comparison.path);
  if (kind === undefined) return { reason: `object path ${comparison.path.slice(0, 80)} unsupported` };
  if (comparison.negated) return { reason: 'NOT comparison unsupported' };
  const op = comparison.operator;
  if (op !== '=' && !(op === 'ISSUBSET' && kind === 'address')) return { reason: `operator ${op} on ${comparison.path} unsupported` };
  if (comparison.value === null) return { reason: `non-string value for ${comparison.path}` };
  return kind === 'domain' ? domainValue(comparison.value) : addressOrNetwork(comparison.value);
}
