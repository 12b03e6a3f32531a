/**
 * The field names of an exported query-log entry: fluxhound's own (the
 * QueryLogEntry keys, as the API gives them), or the Elastic Common
 * Schema's (serve.querylog.fields: ecs), so the lines go into an
 * Elasticsearch/OpenSearch index or a SIEM without an ingest pipeline.
 *
 * One list of [ECS name, value] pairs per entry feeds both outputs: NDJSON
 * nests the dotted names into objects (`{"client":{"ip":...}}`, the shape
 * ECS documents), syslog keeps them dotted as PARAM-NAMEs. Null values are
 * left out.
 */
import { isBlockAction, type QueryLogEntry } from '../../model/query-log.js';
import { isoTime } from '../../model/verdict.js';

export type FieldSet = 'fluxhound' | 'ecs';

/** The ECS version the names follow. */
export const ECS_VERSION = '8.11.0';

export type FieldValue = string | number | readonly string[];

/** threat.indicator.confidence, from the verdict's label (ECS takes "Not Specified, None, Low, Medium, High"). */
function confidence(verdict: QueryLogEntry['verdict']): string | null {
  if (verdict === 'fast-flux') return 'High';
  if (verdict === 'suspicious') return 'Medium';
  return null;
}

/**
 * The feed named by an intel rule's reason (detect/intel-verdict
 * listingReason: "… listed by intel feed NAME (entry …"); null for other
 * rules. Feed names are letters, digits, '.', '_', '-' (config) or
 * `taxii:<poster>`, so the name ends at the space.
 */
export function intelFeedOf(e: Pick<QueryLogEntry, 'rule' | 'reason'>): string | null {
  if (e.rule !== 'intel' || e.reason === null) return null;
  const found = /listed by intel feed ([A-Za-z0-9][A-Za-z0-9._:-]*) \(entry /.exec(e.reason);
  return found === null ? null : found[1]!;
}

/**
 * The entry in ECS names. event.kind is 'alert' for an exposure (a finding
 * about a client, not a query) and 'event' otherwise; event.type says
 * whether the client got the real answer ('allowed') or not ('denied').
 */
export function ecsPairs(e: QueryLogEntry): [string, FieldValue][] {
  const pairs: [string, FieldValue][] = [
    ['@timestamp', isoTime(e.ts)],
    ['ecs.version', ECS_VERSION],
    ['event.kind', e.action === 'exposed' ? 'alert' : 'event'],
    ['event.category', ['network']],
    ['event.type', e.action === 'exposed' ? ['info'] : ['protocol', isBlockAction(e.action) ? 'denied' : 'allowed']],
    ['event.action', e.action],
    ['event.dataset', 'fluxhound.querylog'],
    ['observer.product', 'fluxhound'],
    ['client.ip', e.client],
    ['dns.question.name', e.name],
    ['dns.question.type', e.qtype],
  ];
  if (e.rcode !== null) pairs.push(['dns.response_code', e.rcode]);
  if (e.customer !== null) pairs.push(['organization.id', e.customer]);
  if (e.score !== null) pairs.push(['event.risk_score', e.score]);
  if (e.rule !== null) pairs.push(['rule.name', e.rule]);
  if (e.reason !== null) pairs.push(['rule.description', e.reason]);
  const feed = intelFeedOf(e);
  if (feed !== null) pairs.push(['threat.feed.name', feed]);
  if (e.domain !== null) {
    pairs.push(['threat.indicator.type', 'domain-name'], ['threat.indicator.name', e.domain], ['threat.indicator.url.domain', e.domain]);
  }
  const level = confidence(e.verdict);
  if (level !== null) pairs.push(['threat.indicator.confidence', level]);
  if (e.verdict !== null) pairs.push(['labels.verdict', e.verdict]);
  return pairs;
}

/** The entry in fluxhound's names (null fields left out), for syslog. */
export function fluxhoundPairs(e: QueryLogEntry): [string, FieldValue][] {
  const pairs: [string, FieldValue][] = [];
  for (const key of Object.keys(e) as (keyof QueryLogEntry)[]) {
    const value = e[key];
    if (value !== null) pairs.push([key, value]);
  }
  return pairs;
}

export function pairsOf(e: QueryLogEntry, fields: FieldSet): [string, FieldValue][] {
  return fields === 'ecs' ? ecsPairs(e) : fluxhoundPairs(e);
}

/** Dotted names nested into objects: ECS's documented shape. */
export function nest(pairs: readonly [string, FieldValue][]): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const [name, value] of pairs) {
    const path = name.split('.');
    let at = doc;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      let next = at[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        next = {};
        at[key] = next;
      }
      at = next as Record<string, unknown>;
    }
    at[path[path.length - 1]!] = value;
  }
  return doc;
}

/** One NDJSON line (with its newline): the entry itself in fluxhound's names (nulls kept, as the API), nested ECS otherwise. */
export function ndjsonLine(e: QueryLogEntry, fields: FieldSet): string {
  return `${JSON.stringify(fields === 'ecs' ? nest(ecsPairs(e)) : e)}\n`;
}
