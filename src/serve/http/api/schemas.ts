/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of everything the
 * API answers and accepts: components.schemas of the document. Object
 * schemas close their properties, so a field added to a record without its
 * schema fails the contract test. The lists of Verdict and Features fields
 * are checked against the TypeScript types at compile time.
 */
import { QUERY_ACTIONS, QUERY_RULES } from '../../../model/query-log.js';
import { MAX_COMMENT } from '../../lists/entry.js';
import type { Features, Verdict } from '../../../model/verdict.js';
import type { Exposure, FanOut } from '../../../model/flow.js';

export type JsonSchema = Record<string, unknown>;

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const str: JsonSchema = { type: 'string' };
const int: JsonSchema = { type: 'integer' };
const num: JsonSchema = { type: 'number' };
const seconds: JsonSchema = { type: 'number', description: 'Seconds since the epoch.' };
const isoTime: JsonSchema = { type: 'string', format: 'date-time' };
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });
const strings: JsonSchema = { type: 'array', items: str };

/** An object schema: every property required unless listed optional; nothing else allowed. */
export function object(properties: Record<string, JsonSchema>, optional: readonly string[] = [], description?: string): JsonSchema {
  return {
    type: 'object',
    ...(description === undefined ? {} : { description }),
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    additionalProperties: false,
  };
}

export const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

// ---- Verdict (src/model/verdict.ts), every field.

const NULLABLE_FEATURES = ['ttl_min', 'ttl_median', 'ttl_low_share', 'churn'] as const;
const FEATURES = [
  'lookups', 'answers', 'ips', 'ips_window', 'prefixes', 'asns', 'asns_window', 'countries', 'countries_window', 'ips_per_hour',
  'ttl_min', 'ttl_median', 'ttl_low_share', 'churn', 'ns_names', 'ns_addresses', 'ns_asns', 'cname_targets', 'clients', 'names',
  'network_addresses', 'network_share', 'ns_network_addresses', 'network_trust', 'network_id', 'network_size', 'network_asns',
  'network_countries', 'network_names', 'answers_new', 'answer_size_max', 'span_hours', 'ips_day', 'asns_day', 'countries_day',
  'slow_flux', 'known_infra_share', 'top_site_lists', 'pool', 'dynamic_dns', 'non_routable', 'single_country_asns',
  'intel_addresses', 'intel_evidence', 'flow_evidence', 'flow_clients',
] as const satisfies readonly (keyof Features)[];
/** Present only on a name with intel evidence (features/intel.ts). */
const OPTIONAL_FEATURES = ['intel_addresses', 'intel_evidence', 'flow_evidence', 'flow_clients'] as const satisfies readonly (keyof Features)[];

const VERDICT_REQUIRED = [
  'domain', 'registered_domain', 'scope', 'verdict', 'flux', 'score', 'reasons', 'features', 'contributions', 'first_seen',
  'last_seen', 'first_flagged', 'lookups_to_flag', 'network', 'enrichment', 'evidence',
] as const satisfies readonly (keyof Verdict)[];
const VERDICT_OPTIONAL = ['holz', 'zone', 'lower_bounds', 'probes', 'tampering', 'listed', 'intel', 'flows'] as const satisfies readonly (keyof Verdict)[];

// Compile-time: a field added to Verdict or Features without its schema here does not build.
type Missing<T, K> = Exclude<keyof T, K>;
const everyFeature: Missing<Features, (typeof FEATURES)[number]> extends never ? true : never = true;
const everyVerdictField: Missing<Verdict, (typeof VERDICT_REQUIRED)[number] | (typeof VERDICT_OPTIONAL)[number]> extends never ? true : never = true;
void everyFeature;
void everyVerdictField;

const evidenceAddress = object(
  { address: str, last_seen: isoTime, asn: nullable(int), known: { type: 'boolean' } },
  [],
  'An answer or name-server address, with when it was last seen and its AS.',
);

const verdict = object(
  {
    domain: str,
    registered_domain: str,
    scope: { enum: ['name', 'registered_domain'] },
    verdict: { enum: ['fast-flux', 'suspicious', 'benign'] },
    flux: { enum: ['single', 'double', null] },
    score: { type: 'number', minimum: 0, maximum: 100 },
    reasons: { ...strings, description: 'Plain-language reasons with numbers, strongest first.' },
    features: ref('Features'),
    contributions: arrayOf(object({ feature: str, points: num })),
    first_seen: isoTime,
    last_seen: isoTime,
    first_flagged: nullable(isoTime),
    lookups_to_flag: nullable(int),
    holz: object({ score: num, flagged: { type: 'boolean' }, first_flagged: nullable(str), lookups_to_flag: nullable(int) }, ['first_flagged', 'lookups_to_flag']),
    zone: nullable(str),
    network: nullable(str),
    enrichment: strings,
    evidence: object({ addresses: arrayOf(ref('EvidenceAddress')), name_servers: strings, ns_addresses: arrayOf(ref('EvidenceAddress')) }),
    lower_bounds: { type: 'array', items: { enum: [...FEATURES] } },
    probes: int,
    tampering: object({ kind: { enum: ['injected', 'poisoned'] }, reasons: strings, answers: int }),
    listed: object({ list: { const: 'deny' }, comment: str, by: str, at: seconds }, [], "Present only on the policy verdict an operator's deny entry puts in the flagged set."),
    intel: arrayOf(
      object(
        { feed: str, ref: str, kind: { enum: ['domain', 'address', 'cidr'] }, value: str, note: str, confidence: { type: 'integer', minimum: 0, maximum: 100 }, action: { enum: ['block', 'log'] } },
        [],
        'A threat-intelligence feed entry listing the name (a listing) or one of its addresses or networks (evidence).',
      ),
    ),
    flows: object(
      { addresses: int, clients: int, inbound: int, flows: int, window: int },
      [],
      "What flow data showed about the domain's own addresses within the window (src/model/flow.ts FlowEvidence).",
    ),
  },
  VERDICT_OPTIONAL,
  'What detection concluded about one domain, with the numbers behind it (src/model/verdict.ts).',
);

const features = object(
  Object.fromEntries(FEATURES.map((f) => [f, (NULLABLE_FEATURES as readonly string[]).includes(f) ? nullable(num) : num])),
  OPTIONAL_FEATURES,
  'The measured features of a domain (src/detect/features/README.md).',
);

// ---- The console's records (src/model/query-log.ts, src/store/store.ts).

const queryLogEntry = object(
  {
    ts: seconds,
    client: str,
    customer: nullable(str),
    name: str,
    qtype: str,
    action: { enum: [...QUERY_ACTIONS] },
    rcode: nullable(str),
    domain: nullable(str),
    verdict: { enum: ['fast-flux', 'suspicious', null] },
    score: nullable(num),
    rule: { enum: [...QUERY_RULES, null] },
    reason: nullable(str),
  },
  [],
  'One recorded query: what the forwarder did with it, and the verdict or rule behind it.',
);

const listEntry = object({ list: { enum: ['allow', 'deny'] }, name: str, comment: str, by: str, at: seconds }, [], 'An operator list entry and who made it.');
const auditEntry = object({ at: seconds, by: str, action: str, target: str, comment: str }, [], 'One change to a list: who, what, when, why.');
const statsPoint = object({ ts: seconds, queries: int, blocked: int, logged: int, flagged: int }, [], 'Sums over [ts, ts + step).');
const fluxNetworkSummary = object({
  id: str,
  domains: int,
  sample_domains: strings,
  addresses: int,
  asns: int,
  countries: int,
  first_seen: isoTime,
  last_seen: isoTime,
});
const pdnsTuple = object({ name: str, type: str, data: str, firstSeen: seconds, lastSeen: seconds, count: int, ttl: nullable(int) }, [], 'A record seen in answers, aggregated.');
// ---- Flow findings (src/model/flow.ts), every field: a field added there without its schema here does not build.

const boolean: JsonSchema = { type: 'boolean' };
const exposureProperties = {
  record: { const: 'exposure' },
  client: str,
  customer: nullable(str),
  address: str,
  domain: str,
  network: nullable(str),
  first: isoTime,
  last: isoTime,
  flows: int,
  bytes: int,
  packets: int,
  sampled: boolean,
  direction: { enum: ['outbound', 'inbound'] },
  bypass: boolean,
  reason: str,
} satisfies Record<keyof Exposure, JsonSchema>;
const fanOutProperties = {
  record: { const: 'fan-out' },
  host: str,
  customer: nullable(str),
  distinct: int,
  flux: int,
  window: int,
  first: isoTime,
  last: isoTime,
  flows: int,
  reasons: strings,
} satisfies Record<keyof FanOut, JsonSchema>;
const exposure = object(
  exposureProperties,
  [],
  'A client that exchanged traffic with an address of a flagged name or a flux network, in flow data (NetFlow/IPFIX, conn.log, eve flow): totals over its flows, bytes and packets multiplied by the sampling rate. bypass: no lookup of the name through the monitored resolvers.',
);
const fanOut = object(fanOutProperties, [], 'A host that contacted numerous distinct external addresses (known CDN/cloud/service addresses not counted) within the window.');

const health = object({ status: { enum: ['ok', 'unhealthy'] }, reasons: strings });
const customer = object({ id: str, name: str, contact: str, networks: strings });

/** Why a list change is made: required, as the lists keep it in the audit trail (src/serve/lists, MAX_COMMENT). */
const COMMENT: JsonSchema = { type: 'string', minLength: 1, maxLength: MAX_COMMENT, description: 'Why the change is made (kept in the audit trail).' };

// ---- Responses.

const flaggedItem = object({
  domain: str,
  registered_domain: str,
  verdict: { enum: ['fast-flux', 'suspicious'] },
  flux: { enum: ['single', 'double', null] },
  score: num,
  reasons: strings,
  first_seen: isoTime,
  last_seen: isoTime,
  network: nullable(str),
  zone: nullable(str),
  rule: { enum: [...QUERY_RULES] },
});

export const SCHEMAS: Record<string, JsonSchema> = {
  Error: object({ error: str }, [], 'Every error answer: one line saying what is wrong (naming the parameter).'),
  Whoami: object({ name: str, role: { enum: ['read', 'write', 'admin'] } }),
  Health: health,
  Overview: object({
    uptime_seconds: int,
    flagged_domains: int,
    tracked_domains: int,
    observations: int,
    networks: int,
    customers: int,
    health: ref('Health'),
  }),
  Features: features,
  EvidenceAddress: evidenceAddress,
  Verdict: verdict,
  FlaggedItem: flaggedItem,
  FlaggedPage: object({ total: int, offset: int, limit: int, items: arrayOf(ref('FlaggedItem')) }),
  PdnsTuple: pdnsTuple,
  ListEntry: listEntry,
  DomainDetail: object({
    name: str,
    blocked: { type: 'boolean' },
    blocked_by: nullable(str),
    allowlisted: { type: 'boolean' },
    denylisted: { anyOf: [ref('ListEntry'), { type: 'null' }] },
    verdict: { anyOf: [ref('Verdict'), { type: 'null' }] },
    history: arrayOf(object({ ts: seconds, verdict: { enum: ['fast-flux', 'suspicious', 'benign'] }, flux: { enum: ['single', 'double', null] }, score: num })),
    passive_dns: arrayOf(ref('PdnsTuple')),
  }),
  FluxNetworkSummary: fluxNetworkSummary,
  NetworkList: object({ items: arrayOf(ref('FluxNetworkSummary')) }),
  NetworkDetail: object({
    id: str,
    domains: strings,
    addresses: arrayOf(object({ address: str, asn: nullable(int), country: nullable(str) })),
    edges: arrayOf(object({ domain: str, address: str })),
  }),
  QueryLogEntry: queryLogEntry,
  QueryLogPage: object(
    { items: arrayOf(ref('QueryLogEntry')), next: nullable(str) },
    [],
    'Newest first. `next` (null on the last page) goes on with older entries; a search whose filters each match much and rarely meet may come back short, even empty, with a `next`: the store reads a bounded part of the log per page.',
  ),
  Exposure: exposure,
  ExposurePage: object(
    { items: arrayOf(ref('Exposure')), next: nullable(str) },
    [],
    'Most recent last flow first. `next` (null on the last page) goes on with older rows; a row a newer flow updates meanwhile moves to the front.',
  ),
  FanOut: fanOut,
  FanOutList: object({ items: arrayOf(ref('FanOut')) }, [], 'Newest window first.'),
  StatsPoint: statsPoint,
  Stats: object({ step: int, points: arrayOf(ref('StatsPoint')) }),
  ListPage: object({ items: arrayOf(ref('ListEntry')), static: { ...strings, description: 'Entries from the config and its files: read-only here.' } }),
  ListAdd: object({ name: { type: 'string', minLength: 1, maxLength: 1024 }, comment: COMMENT }),
  ListRemove: object({ comment: COMMENT }),
  Removed: object({ removed: { const: true } }),
  AuditEntry: auditEntry,
  AuditPage: object({ items: arrayOf(ref('AuditEntry')) }),
  Customer: customer,
  CustomerList: object({ items: arrayOf(ref('Customer')) }),
  CustomerDetail: object({
    customer: ref('Customer'),
    totals: object({ queries: int, blocked: int, logged: int }),
    points: arrayOf(ref('StatsPoint')),
    top_blocked: arrayOf(object({ name: str, domain: nullable(str), count: int, last: seconds })),
  }),
  TransparencyReport: transparencyReport(),
};

/** The transparency report of src/serve/reports (report.ts), format=json. */
function transparencyReport(): JsonSchema {
  const address = object({ address: str, asn: nullable(int), known: { type: 'boolean' }, last_seen: isoTime });
  const item = object({
    name: str,
    domain: nullable(str),
    kind: { enum: ['blocked', 'exposed', 'logged'] },
    first: isoTime,
    last: isoTime,
    count: int,
    devices: int,
    devices_capped: { type: 'boolean' },
    device_list: strings,
    actions: { type: 'object', propertyNames: { enum: [...QUERY_ACTIONS] }, additionalProperties: int },
    rule: { enum: [...QUERY_RULES, null] },
    why: str,
    verdict: {
      anyOf: [
        object({ label: { enum: ['fast-flux', 'suspicious', 'benign'] }, flux: { enum: ['single', 'double', null] }, score: num, reasons: strings, recorded: nullable(isoTime), network: nullable(str) }),
        { type: 'null' },
      ],
    },
    basis: {
      anyOf: [
        object({ rule: { const: 'verdict' }, verdict: nullable(str), recorded: nullable(isoTime) }),
        object({ rule: { const: 'denylist' }, comment: str, by: nullable(str), at: nullable(isoTime) }),
        { type: 'null' },
      ],
    },
    evidence: {
      anyOf: [object({ addresses: arrayOf(address), ips: int, asns: int, countries: int, name_servers: strings, ns_addresses: arrayOf(address) }), { type: 'null' }],
    },
    advice: strings,
  });
  return object(
    {
      report: { const: 'fluxhound transparency report' },
      version: { const: 1 },
      generated: isoTime,
      customer: object({ id: str, name: str, contact: str }),
      period: object({ since: isoTime, until: isoTime }),
      totals: object({ queries: int, blocked: int, logged: int, blocked_names: int, exposed_names: int, logged_names: int, clients_affected: int }),
      coverage: object({ entries: int, limit: int, complete: { type: 'boolean' }, oldest_read: nullable(isoTime), names_not_listed: int }),
      items: arrayOf(item),
      connections: object(
        {
          hosts: int,
          bypass: int,
          inbound: int,
          rows: int,
          complete: { type: 'boolean' },
          domains: arrayOf(
            object({
              domain: str,
              hosts: int,
              bypass: int,
              inbound: int,
              flows: int,
              bytes: int,
              sampled: { type: 'boolean' },
              first: isoTime,
              last: isoTime,
              device_list: strings,
              network: nullable(str),
            }),
          ),
        },
        [],
        'Hosts that connected to flux: devices flow data saw exchanging traffic with flux hosts, per domain (src/serve/reports/connections.ts).',
      ),
    },
    [],
    "A customer's transparency report (src/serve/reports): each block in plain words, with its evidence and the verdict or deny entry behind it.",
  );
}
