/**
 * The OpenAPI 3.1 document of the JSON API, as data: the one source of
 * truth. GET /api/v1/openapi.json serves it, request bodies are validated
 * with the schemas compiled from it (validate.ts), and the contract test
 * (test/api-contract.test.ts) checks every response against it.
 */
import { packageVersion } from '../../../config/package.js';
import { QUERY_ACTIONS } from '../../../model/query-log.js';
import { ref, SCHEMAS, type JsonSchema } from './schemas.js';

export const FLAGGED_SORTS = ['score', 'last_seen'] as const;
export const VERDICT_LABELS = ['fast-flux', 'suspicious'] as const;
export const FLUX_KINDS = ['single', 'double'] as const;
export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;

/** Bounds of the paging parameters. */
export const LIMITS = {
  flagged: { fallback: 50, max: 500 },
  querylog: { fallback: 100, max: 1000 },
  audit: { fallback: 100, max: 1000 },
  exposures: { fallback: 100, max: 1000 },
  /** Fan-out findings: one list, no cursor, each with its reasons (larger than an exposure row): a smaller cap. */
  fanOut: { fallback: 50, max: 500 },
  offset: 1_000_000,
  /** Points of a stats series. */
  points: 10_000,
} as const;

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'A parameter or the body is invalid; the error names it.',
  401: 'No token, or a token that is not in the token file.',
  403: "The token's role may not do this (a read token on an admin action).",
  408: 'The body did not arrive in time.',
  404: 'Nothing is known under this name or id.',
  413: 'The body is larger than serve.http.maxBodyBytes.',
  415: 'The body is not application/json.',
  429: 'Too many bad tokens from this address: try again after Retry-After seconds.',
  503: 'No store is open (the daemon runs without --store), or the lists are not managed.',
};

type Param = { name: string; in: 'query' | 'path'; required: boolean; description: string; schema: JsonSchema };

const q = (name: string, description: string, schema: JsonSchema = { type: 'string' }): Param => ({ name, in: 'query', required: false, description, schema });
const p = (name: string, description: string, schema: JsonSchema = { type: 'string' }): Param => ({ name, in: 'path', required: true, description, schema });

const TIME = { type: 'string', description: 'ISO 8601 (UTC unless an offset is given) or epoch seconds.' };
const since = (what: string): Param => q('since', `Start of the time range (inclusive), ${what}. ISO 8601 or epoch seconds.`, TIME);
const until = (what: string): Param => q('until', `End of the time range (exclusive), ${what}. ISO 8601 or epoch seconds.`, TIME);
const limit = (fallback: number, max: number): Param => q('limit', `At most this many items (1..${max}).`, { type: 'integer', minimum: 1, maximum: max, default: fallback });

interface Operation {
  summary: string;
  role: 'read' | 'admin';
  parameters?: Param[];
  body?: string;
  /** Status → schema name (JSON), or a content map for the report. */
  responses: Record<number, string | Record<string, JsonSchema>>;
}

/** The schema of every error answer. */
const E = 'Error';

/**
 * Statuses every operation can answer beside its own: 401 and 429 (the
 * listener's authentication, src/serve/auth); 400 with parameters (the
 * listener refuses a bad path parameter, the route a bad query); 403 for an
 * admin operation; 400, 408, 413 and 415 with a body (src/serve/http/body.ts).
 */
function withListenerStatuses(op: Operation): Operation['responses'] {
  const all: Operation['responses'] = { ...op.responses, 401: E, 429: E };
  if (op.parameters !== undefined && op.parameters.length > 0) all[400] = E;
  if (op.role === 'admin') all[403] = E;
  if (op.body !== undefined) Object.assign(all, { 400: E, 408: E, 413: E, 415: E });
  return all;
}

function operation(id: string, op: Operation): JsonSchema {
  const responses: Record<string, unknown> = {};
  const all = withListenerStatuses(op);
  for (const status of Object.keys(all).map(Number).sort((a, b) => a - b)) {
    const answer = all[status]!;
    const content = typeof answer === 'string' ? { 'application/json': { schema: ref(answer) } } : Object.fromEntries(Object.entries(answer).map(([type, schema]) => [type, { schema }]));
    responses[status] = { description: STATUS_TEXT[Number(status)] ?? status, content };
  }
  return {
    operationId: id,
    summary: op.summary,
    description: `Role: ${op.role}.`,
    'x-fluxhound-role': op.role,
    ...(op.parameters === undefined ? {} : { parameters: op.parameters }),
    ...(op.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: ref(op.body) } } } }),
    responses,
  };
}

/** A read-role GET path item: the shape of every read route. */
function get(id: string, summary: string, responses: Operation['responses'], parameters?: Param[]): JsonSchema {
  return { get: operation(id, { summary, role: 'read', ...(parameters === undefined ? {} : { parameters }), responses }) };
}

function listPaths(path: string, list: 'allow' | 'deny', noun: string): Record<string, JsonSchema> {
  const tag = list === 'allow' ? 'Allowlist' : 'Blocklist';
  return {
    [path]: {
      get: operation(`get${tag}`, { summary: `The ${noun} (operator entries, and the static ones from the config)`, role: 'read', responses: { 200: 'ListPage', 503: E } }),
      post: operation(`add${tag}`, {
        summary: `Adds a name (and everything under it) to the ${noun}, applied live and audited`,
        role: 'admin',
        body: 'ListAdd',
        responses: { 201: 'ListEntry', 503: E },
      }),
    },
    [`${path}/{name}`]: {
      delete: operation(`remove${tag}`, {
        summary: `Removes a name from the ${noun}, applied live and audited`,
        role: 'admin',
        parameters: [p('name', 'The entry, as listed.')],
        body: 'ListRemove',
        responses: { 200: 'Removed', 404: E, 503: E },
      }),
    },
  };
}

function document(): JsonSchema {
  const paths: Record<string, JsonSchema> = {
    '/api/v1/openapi.json': get('getOpenApi', 'This document', { 200: 'OpenApiDocument' }),
    '/api/v1/whoami': get('whoami', 'The name and role of the token presented', { 200: 'Whoami' }),
    '/api/v1/overview': get('overview', 'What the daemon holds, and whether it can do its job', { 200: 'Overview' }),
    '/api/v1/flagged': get('flagged', 'The flagged domains, with every reason', { 200: 'FlaggedPage' }, [
      q('verdict', 'Only this verdict.', { enum: [...VERDICT_LABELS] }),
      q('flux', 'Only this flux kind.', { enum: [...FLUX_KINDS] }),
      q('q', 'Only domains containing this text.', { type: 'string', maxLength: 253 }),
      q('network', "Only domains of this flux network ('fn-3').", { type: 'string' }),
      q('sort', 'Highest score, or most recently seen, first.', { enum: [...FLAGGED_SORTS], default: 'score' }),
      limit(LIMITS.flagged.fallback, LIMITS.flagged.max),
      q('offset', 'Skip this many.', { type: 'integer', minimum: 0, maximum: LIMITS.offset, default: 0 }),
    ]),
    '/api/v1/domains/{name}': get('domain', 'One name: whether and why it is blocked, its verdict, history and passive DNS', { 200: 'DomainDetail', 404: E }, [p('name', 'A domain name (canonicalised: lower case, no trailing dot).')]),
    '/api/v1/networks': get('networks', 'The flux service networks found so far', { 200: 'NetworkList' }),
    '/api/v1/networks/{id}': get('network', 'One flux network: its domains, addresses (ASN, country) and the edges between them', { 200: 'NetworkDetail', 404: E }, [p('id', "The network id ('fn-3').")]),
    '/api/v1/querylog': get('querylog', 'The query log, newest first', { 200: 'QueryLogPage', 503: E }, [
      q('client', "A client address or a CIDR network ('192.0.2.0/24')."),
      q('customer', 'A customer id.'),
      q('name', 'A name: entries for it and every name under it.'),
      q('action', `Comma-separated actions: ${QUERY_ACTIONS.join(', ')}.`),
      since('default: no bound'),
      until('default: no bound'),
      limit(LIMITS.querylog.fallback, LIMITS.querylog.max),
      q('cursor', "The previous page's `next`."),
    ]),
    '/api/v1/exposures': get('exposures', 'Clients that connected to flux hosts (flow data joined with the verdicts), most recent first', { 200: 'ExposurePage', 503: E }, [
      q('client', "A client address or a CIDR network ('192.0.2.0/24')."),
      q('customer', 'A customer id.'),
      q('domain', 'A domain: exposures to it and every name under it.'),
      q('bypass', 'true: only clients that reached the flux host without a lookup through the monitored resolvers (DNS bypass); false: only the others.', { enum: ['true', 'false'] }),
      since('rows whose last flow is at or after it; default: no bound'),
      until('rows whose first flow is before it; default: no bound'),
      limit(LIMITS.exposures.fallback, LIMITS.exposures.max),
      q('cursor', "The previous page's `next`."),
    ]),
    '/api/v1/fan-out': get('fanOut', 'Hosts that contacted numerous distinct external addresses in a short window, newest first', { 200: 'FanOutList', 503: E }, [
      q('host', "A host address or a CIDR network ('192.0.2.0/24')."),
      q('customer', 'A customer id.'),
      since("windows whose last flow is at or after it; default: no bound"),
      until("windows whose last flow is before it; default: no bound"),
      limit(LIMITS.fanOut.fallback, LIMITS.fanOut.max),
    ]),
    '/api/v1/stats': get('stats', 'Queries, blocks, policy-log answers and flags over time', { 200: 'Stats', 503: E }, [
      since('default 24 hours ago'),
      until('default now'),
      q('step', `Seconds per point, a multiple of 60 (default: the range over 96 points, rounded up to whole minutes); at most ${LIMITS.points} points.`, { type: 'integer', minimum: 60 }),
      q('customer', "One customer's series."),
    ]),
    ...listPaths('/api/v1/allowlist', 'allow', 'allowlist'),
    ...listPaths('/api/v1/blocklist', 'deny', 'blocklist (deny list)'),
    '/api/v1/audit': get('audit', 'Who changed the lists, when and why; newest first', { 200: 'AuditPage', 503: E }, [since('default: the beginning'), limit(LIMITS.audit.fallback, LIMITS.audit.max)]),
    '/api/v1/customers': get('customers', 'The customers of the config', { 200: 'CustomerList' }),
    '/api/v1/customers/{id}': get('customer', "One customer's last 24 hours: totals, hourly points, the names blocked most", { 200: 'CustomerDetail', 404: E, 503: E }, [p('id', 'The customer id.')]),
    '/api/v1/customers/{id}/report': get(
      'customerReport',
      "The customer's transparency report",
      { 200: { 'application/json': ref('TransparencyReport'), 'text/csv': { type: 'string' }, 'text/html': { type: 'string' } }, 400: E, 404: E, 503: E },
      [p('id', 'The customer id.'), since('default 7 days before until'), until('default now'), q('format', 'json, csv or html.', { enum: [...REPORT_FORMATS], default: 'json' })],
    ),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'fluxhound API',
      version: packageVersion(),
      description: 'The JSON API of `fluxhound serve --http`: flagged domains, verdicts, flux networks, the query log, flow exposures and fan-out, stats, the operator lists and customers. Every path needs a bearer token (`--api-tokens FILE`: TOKEN ROLE NAME); GET is read, list changes are admin. Errors are {"error": "..."}.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token of the token file (serve.http.tokens).' } },
      schemas: { ...SCHEMAS, OpenApiDocument: { type: 'object', properties: { openapi: { const: '3.1.0' }, info: { type: 'object' }, paths: { type: 'object' } }, required: ['openapi', 'info', 'paths'] } },
    },
  };
}

let built: JsonSchema | null = null;

/** The document (built once; treat as read-only). */
export function openApiDocument(): JsonSchema {
  return (built ??= document());
}

/** Every documented operation: method, path and the statuses it may answer. */
export function documentedOperations(): Array<{ method: string; path: string; role: string; statuses: number[] }> {
  const out: Array<{ method: string; path: string; role: string; statuses: number[] }> = [];
  for (const [path, item] of Object.entries(openApiDocument().paths as Record<string, Record<string, JsonSchema>>)) {
    for (const [method, op] of Object.entries(item)) {
      out.push({ method: method.toUpperCase(), path, role: op['x-fluxhound-role'] as string, statuses: Object.keys(op.responses as object).map(Number) });
    }
  }
  return out;
}
