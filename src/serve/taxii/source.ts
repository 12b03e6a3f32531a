/**
 * What the TAXII service publishes: STIX objects with the time fluxhound
 * first published each version (TAXII's date_added). The service reads only
 * the StixSource seam; `flaggedStixSource` is a stand-in built from the
 * flagged set (one indicator per flagged domain), kept here until the STIX
 * export of issue 15 (branch i15-stix-out) lands: the next session replaces
 * it with a source over that export and deletes this stand-in.
 */
import { createHash } from 'node:crypto';
import type { FlaggedDomains } from '../../act/flagged.js';
import type { Verdict } from '../../model/verdict.js';

/** One version of one STIX object and when it was first published (ms since the epoch). */
export interface PublishedObject {
  object: Record<string, unknown>;
  added: number;
}

/** THE SEAM: the TAXII service reads its objects here and nowhere else. */
export interface StixSource {
  /** Every stored version of every object, in any order; each (id, version) at most once. */
  objects(): PublishedObject[];
}

/** The STIX 2.1 namespace of deterministic SCO ids (STIX 2.1 §2.9). */
export const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

/** RFC 4122 UUIDv5 of `name` under `namespace`. */
export function uuidv5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * fluxhound's own namespace for its SDO ids, derived like an SCO id so
 * anyone can recompute it. PROVISIONAL: the shared design's stix-out branch
 * fixes the real one; the merge must use that constant here.
 */
export const FLUXHOUND_NAMESPACE = uuidv5(STIX_SCO_NAMESPACE, 'fluxhound');

/**
 * A STIX pattern string literal: the grammar's quoted string escapes only
 * the backslash and the single quote (STIX 2.1 §9.2, "String literals"), so
 * a name with `'` or `\` (legal in DNS, escaped by escapeName) can neither
 * end the literal early nor inject a comparison.
 */
export function patternString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The indicator of one flagged domain's verdict; `modified` is when this content was first published. */
export function indicatorOf(verdict: Verdict, created: string, modified: string): Record<string, unknown> {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${uuidv5(FLUXHOUND_NAMESPACE, `indicator:domain-name:${verdict.domain}`)}`,
    created,
    modified,
    name: `fast flux: ${verdict.domain}`,
    description: verdict.reasons.join('; '),
    indicator_types: ['malicious-activity'],
    pattern: `[domain-name:value = ${patternString(verdict.domain)}]`,
    pattern_type: 'stix',
    pattern_version: '2.1',
    valid_from: created,
    confidence: Math.max(0, Math.min(100, Math.round(verdict.score))),
  };
}

/** Versions kept per object: older ones are dropped (bounded memory). */
export const MAX_VERSIONS_PER_OBJECT = 10;
/** Objects kept in all: past it, the object published first is dropped. */
export const MAX_OBJECTS = 100_000;

interface History {
  created: string;
  /** The content (without created/modified) of the newest version, to see whether a verdict changed. */
  content: string;
  versions: PublishedObject[];
}

/**
 * STAND-IN (replaced by the STIX export next session): one indicator per
 * flagged domain. A domain's verdict that changes what the indicator says
 * (score, reasons) becomes a new version; a domain that leaves the flagged
 * set keeps its published versions (what was shared stays shared).
 */
export function flaggedStixSource(flagged: FlaggedDomains, now: () => number = Date.now): StixSource {
  const histories = new Map<string, History>();
  // Synced on every read, not on the set's serial: the serial moves when blocking changes, not when only the
  // score or reasons do, and those change what the indicator says. One pass over the (bounded) flagged set.
  const sync = (): void => {
    const at = now();
    for (const verdict of flagged.entries()) {
      const key = verdict.domain;
      let history = histories.get(key);
      const probe = indicatorOf(verdict, '', '');
      const content = JSON.stringify(probe);
      if (history !== undefined && history.content === content) continue;
      if (history === undefined) {
        if (histories.size >= MAX_OBJECTS) histories.delete(histories.keys().next().value as string);
        history = { created: new Date(at).toISOString(), content, versions: [] };
        histories.set(key, history);
      }
      const last = history.versions[history.versions.length - 1];
      // A version's modified must grow even when two changes fall in the same millisecond.
      const stamp = last === undefined ? at : Math.max(at, Date.parse(last.object.modified as string) + 1);
      history.content = content;
      history.versions.push({ object: indicatorOf(verdict, history.created, new Date(stamp).toISOString()), added: stamp });
      if (history.versions.length > MAX_VERSIONS_PER_OBJECT) history.versions.shift();
    }
  };
  return {
    objects() {
      sync();
      const all: PublishedObject[] = [];
      for (const history of histories.values()) all.push(...history.versions);
      return all;
    },
  };
}
