/**
 * One list entry checked, and the policy verdict a deny entry puts in the
 * flagged set. Every surface (the API, the CLI, the store picked up by a
 * poll) passes a change through checkChange, so one rule decides what a
 * list may hold.
 */
import { registrableDomain } from '../../detect/registered-domain.js';
import { emptyFeatures } from '../../detect/features/index.js';
import { aLabels, escapeName } from '../../dns/name-text.js';
import { UsageError } from '../../model/errors.js';
import { canonicalName, isPlausibleName, parseIPv4, parseIPv6 } from '../../model/names.js';
import type { ListChange, ListEntry, ListName } from '../../model/query-log.js';
import { isoTime, type Verdict } from '../../model/verdict.js';

/** Longest comment kept, characters. */
export const MAX_COMMENT = 500;
/** Longest `by`, characters. */
export const MAX_BY = 100;

/** Why a change was refused (metric label). */
export type RefusalReason = 'name' | 'comment' | 'public_suffix' | 'full';

export class ListRefusal extends UsageError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

// The one IDN rule lives with the one escaping rule, so intel feeds (below serve) share it.
export { aLabels } from '../../dns/name-text.js';

/**
 * The canonical text of a list name: an internationalised name as its
 * A-labels (xn--), then the one escaping rule, lower case, no trailing dot.
 * Throws a
 * ListRefusal for anything that is not a domain name (an address, the root,
 * an empty label, over 253 characters).
 */
export function listName(raw: string, list: ListName, adding = true): string {
  const trimmed = raw.trim();
  // Whitespace or control characters are a typing mistake, not a label byte anyone means.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(trimmed)) throw new ListRefusal('name', `${list}: ${JSON.stringify(escapeName(trimmed).slice(0, 80))} is not a domain name`);
  // An internationalised name is looked up as its A-labels (xn--): the entry must be that name.
  const ascii = aLabels(trimmed);
  if (ascii === '') throw new ListRefusal('name', `${list}: ${JSON.stringify(escapeName(trimmed).slice(0, 80))} is not a domain name`);
  const name = canonicalName(escapeName(ascii));
  const shown = JSON.stringify(name.slice(0, 80));
  if (!isPlausibleName(name) || name === '.' || name.includes('..')) throw new ListRefusal('name', `${list}: ${shown} is not a domain name`);
  if (name === '*' || name.startsWith('*.') || name.includes('.*.')) {
    throw new ListRefusal('name', `${list}: ${shown} holds a wildcard label; give the name itself (an entry covers every name under it)`);
  }
  if (parseIPv4(name) >= 0 || (name.includes(':') && parseIPv6(name) !== null)) {
    throw new ListRefusal('name', `${list}: ${shown} is an address; the ${list} list takes domain names`);
  }
  // Only adds: an entry made before this rule (or by a config file) can still be removed.
  if (adding && registrableDomain(name) === null) {
    const effect = list === 'deny' ? 'block every name under it' : 'turn off protection for every name under it';
    throw new ListRefusal('public_suffix', `${list}: ${shown} is the root or a public suffix; ${list === 'deny' ? 'a deny' : 'an allow'} entry would ${effect}`);
  }
  return name;
}

/** Printable text of at most `max` characters, no control characters; a ListRefusal otherwise. */
function checkedText(text: string, max: number, what: string, list: ListName, required: boolean): string {
  const t = text.trim();
  if (required && t.length === 0) throw new ListRefusal('comment', `${list}: a ${what} is required (why the change is made)`);
  if (t.length > max) throw new ListRefusal('comment', `${list}: the ${what} is over ${max} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(t)) throw new ListRefusal('comment', `${list}: the ${what} holds control characters`);
  return t;
}

/** The change with its name canonical and its comment and author checked; a ListRefusal (a UsageError) for a bad one. */
export function checkChange(change: ListChange): ListChange {
  const { list } = change;
  if (list !== 'allow' && list !== 'deny') throw new ListRefusal('name', `lists: no list named ${JSON.stringify(String(list))} (allow, deny)`);
  if (change.op !== 'add' && change.op !== 'remove') throw new ListRefusal('name', `${list}: no operation ${JSON.stringify(String(change.op))} (add, remove)`);
  const at = Number.isFinite(change.at) ? change.at : Date.now() / 1000;
  return {
    op: change.op,
    list,
    name: listName(change.name, list, change.op === 'add'),
    comment: checkedText(change.comment, MAX_COMMENT, 'comment', list, true),
    by: checkedText(change.by, MAX_BY, 'name of who made it', list, true),
    at,
  };
}

/**
 * The verdict a deny entry puts in the flagged set: a policy entry, not a
 * detection. 'fast-flux' (so the policy action for fast flux answers it),
 * flux null, score 100, one reason quoting the entry, no features,
 * contributions or evidence; `zone` is the name itself when it lies below
 * its registered domain, so the entry blocks the name and everything under
 * it, not its registered domain.
 */
export function denyVerdict(entry: ListEntry): Verdict {
  const registered = registrableDomain(entry.name) ?? entry.name;
  const at = isoTime(entry.at);
  return {
    domain: entry.name,
    registered_domain: registered,
    scope: 'name',
    verdict: 'fast-flux',
    flux: null,
    score: 100,
    // No author here: reasons reach the public block page; who made the entry stays in `listed` and the audit trail.
    reasons: [`on the operator deny list since ${at}: ${entry.comment}`],
    features: emptyFeatures(),
    contributions: [],
    first_seen: at,
    last_seen: at,
    first_flagged: at,
    lookups_to_flag: null,
    zone: registered === entry.name ? null : entry.name,
    network: null,
    enrichment: [],
    evidence: { addresses: [], name_servers: [], ns_addresses: [] },
    listed: { list: 'deny', comment: entry.comment, by: entry.by, at: entry.at },
  };
}

/** The entry for the name itself or its nearest ancestor (the one that covers it); null when none does. */
export function covering(entries: readonly ListEntry[], name: string): ListEntry | null {
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (let n = name; ; ) {
    const e = byName.get(n);
    if (e !== undefined) return e;
    const dot = n.indexOf('.');
    if (dot < 0) return null;
    n = n.slice(dot + 1);
  }
}
