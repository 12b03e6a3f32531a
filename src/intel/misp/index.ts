/**
 * MISP feed reader: a feed's manifest.json gives the events' uuids, each
 * event file (<uuid>.json, {"Event": {...}}) gives attributes; those that
 * name a domain or an address become entries, keyed by the attribute's uuid.
 * Pure and bounded; anything else is skipped and counted with its position.
 */
import type { IntelEntry, IntelSkip, ParsedFeed } from '../entry.js';
import { isJsonObject, readJson, type JsonObject } from '../json-feed.js';
import { addressOrNetwork, domainValue, type IntelValue } from '../values.js';

/** Event or manifest text past this is refused whole. */
export const MAX_MISP_TEXT = 64 * 1024 * 1024;
/** Attributes read from one event (top level and in objects together); the rest is skipped with one count. */
export const MAX_MISP_ATTRIBUTES = 200_000;
/** Events read from one manifest. */
export const MAX_MISP_EVENTS = 100_000;

/**
 * The attribute types used, and what each part of the value (split on '|')
 * is: a domain, an address, or nothing fluxhound uses (a port).
 */
const TYPE_PARTS = new Map<string, ReadonlyArray<'domain' | 'address' | null>>([
  ['domain', ['domain']],
  ['hostname', ['domain']],
  ['ip-dst', ['address']],
  ['ip-src', ['address']],
  ['domain|ip', ['domain', 'address']],
  ['hostname|port', ['domain', null]],
  ['ip-dst|port', ['address', null]],
  ['ip-src|port', ['address', null]],
]);

type Json = JsonObject;

/** Attributes an event may still give, and whether one was left unread. */
interface AttributeBudget { left: number; truncated: boolean }

const isObject = isJsonObject;

function parseJson(text: string, source: string, skipped: IntelSkip[]): unknown {
  return readJson(text, source, MAX_MISP_TEXT, 'file', skipped);
}

function isUuid(text: string): boolean {
  if (text.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = text.charCodeAt(i);
    const dash = i === 8 || i === 13 || i === 18 || i === 23;
    if (dash ? c !== 45 : !((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

export interface MispManifest { uuids: string[]; skipped: IntelSkip[] }

/**
 * The event uuids a feed's manifest.json lists (its keys), lower-cased; a key
 * that is not a uuid is skipped, since it becomes a file name to fetch.
 */
export function parseMispManifest(text: string, source = 'manifest.json'): MispManifest {
  const uuids: string[] = [];
  const skipped: IntelSkip[] = [];
  const manifest = parseJson(text, source, skipped);
  if (manifest === undefined) return { uuids, skipped };
  if (!isObject(manifest)) {
    skipped.push({ position: source, reason: 'manifest is not an object of events' });
    return { uuids, skipped };
  }
  for (const key of Object.keys(manifest)) {
    if (uuids.length >= MAX_MISP_EVENTS) {
      skipped.push({ position: source, reason: `manifest lists more than ${MAX_MISP_EVENTS} events, read the first ${MAX_MISP_EVENTS}` });
      break;
    }
    if (isUuid(key)) uuids.push(key.toLowerCase());
    else skipped.push({ position: `${source}: ${JSON.stringify(key.slice(0, 80))}`, reason: 'event key is not a uuid' });
  }
  return { uuids, skipped };
}

function isDeleted(record: Json): boolean {
  // Feeds write true; MISP's own exports have also written "1" and 1.
  return record.deleted === true || record.deleted === 1 || record.deleted === '1';
}

/** The entries of one event file's network attributes. */
export function parseMispEvent(text: string, source: string): ParsedFeed {
  const entries: IntelEntry[] = [];
  const skipped: IntelSkip[] = [];
  const document = parseJson(text, source, skipped);
  if (document === undefined) return { entries, skipped };
  const event = isObject(document) ? document.Event : undefined;
  if (!isObject(event)) {
    skipped.push({ position: source, reason: 'no Event object' });
    return { entries, skipped };
  }
  const info = typeof event.info === 'string' ? event.info.slice(0, 500) : '';
  const budget: AttributeBudget = { left: MAX_MISP_ATTRIBUTES, truncated: false };
  readAttributes(event.Attribute, 'Attribute', source, info, budget, entries, skipped);
  if (Array.isArray(event.Object)) {
    for (let i = 0; i < event.Object.length && !budget.truncated; i++) {
      const object: unknown = event.Object[i];
      const where = `Object[${i}]`;
      if (!isObject(object)) {
        skipped.push({ position: `${source}: ${where}`, reason: 'not a MISP object' });
        continue;
      }
      if (isDeleted(object)) {
        skipped.push({ position: `${source}: ${uuidOr(object, where)}`, reason: 'deleted object' });
        continue;
      }
      readAttributes(object.Attribute, `${where}.Attribute`, source, info, budget, entries, skipped);
    }
  }
  if (budget.truncated) skipped.push({ position: source, reason: `event has more than ${MAX_MISP_ATTRIBUTES} attributes, read the first ${MAX_MISP_ATTRIBUTES}` });
  return { entries, skipped };
}

function uuidOr(record: Json, where: string): string {
  return typeof record.uuid === 'string' ? record.uuid.slice(0, 80) : where;
}

function readAttributes(
  list: unknown, where: string, source: string, info: string, budget: AttributeBudget, entries: IntelEntry[], skipped: IntelSkip[],
): void {
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++) {
    if (budget.left === 0) {
      budget.truncated = true;
      return;
    }
    budget.left--;
    const attribute: unknown = list[i];
    if (!isObject(attribute)) {
      skipped.push({ position: `${source}: ${where}[${i}]`, reason: 'not a MISP attribute' });
      continue;
    }
    const ref = uuidOr(attribute, `${where}[${i}]`);
    const position = `${source}: ${ref}`;
    if (isDeleted(attribute)) {
      skipped.push({ position, reason: 'deleted attribute' });
      continue;
    }
    const type = typeof attribute.type === 'string' ? attribute.type : '';
    const parts = TYPE_PARTS.get(type);
    if (parts === undefined) {
      // One reason per type, so a reader counts the types a feed carries by grouping on it.
      skipped.push({ position, reason: `type ${JSON.stringify(type.slice(0, 40))} unsupported` });
      continue;
    }
    if (typeof attribute.value !== 'string') {
      skipped.push({ position, reason: 'attribute has no value' });
      continue;
    }
    const comment = typeof attribute.comment === 'string' ? attribute.comment.slice(0, 500) : '';
    const note = comment.length > 0 ? comment : info;
    const values = attribute.value.split('|', parts.length + 1);
    if (values.length !== parts.length) {
      skipped.push({ position, reason: `${type} value has ${values.length} part(s), expected ${parts.length}` });
      continue;
    }
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p];
      if (part === null || part === undefined) continue;
      const value: IntelValue = part === 'domain' ? domainValue(values[p]!) : addressOrNetwork(values[p]!);
      if ('reason' in value) skipped.push({ position, reason: `${type}: ${value.reason}` });
      else entries.push({ kind: value.kind, value: value.value, ref, note });
    }
  }
}
