/**
 * The TAXII 2.1 resources' required and optional properties as a table
 * (taxii-v2.1-os), for every test that checks a TAXII answer: the server's
 * own tests and the end-to-end ones. Checked against the OASIS reference
 * server's data (medallion) in src/serve/taxii/index.test.ts.
 */
/**
 * The properties TAXII 2.1 requires of each resource (taxii-v2.1-os: §4.1.1
 * discovery, §4.2.1 api-root, §5.1.1 collections, §5.2.1 collection, §3.7
 * envelope, §5.3.1 manifest and manifest-record, §5.7.1 versions, §3.6.1
 * error): name → the JSON type it must have. Optional properties we send are
 * type-checked too.
 */
export const REQUIRED: Record<string, Record<string, string>> = {
  discovery: { title: 'string' },
  'api-root': { title: 'string', versions: 'array', max_content_length: 'number' },
  collections: {},
  collection: { id: 'string', title: 'string', can_read: 'boolean', can_write: 'boolean' },
  envelope: {},
  manifest: {},
  'manifest-record': { id: 'string', date_added: 'string', version: 'string' },
  versions: {},
  error: { title: 'string' },
  status: { id: 'string', status: 'string', total_count: 'number', success_count: 'number', failure_count: 'number', pending_count: 'number' },
  'status-details': { id: 'string', version: 'string' },
};
export const OPTIONAL: Record<string, Record<string, string>> = {
  discovery: { description: 'string', contact: 'string', default: 'string', api_roots: 'array' },
  'api-root': { description: 'string' },
  collections: { collections: 'array' },
  collection: { description: 'string', alias: 'string', media_types: 'array' },
  envelope: { more: 'boolean', next: 'string', objects: 'array' },
  manifest: { more: 'boolean', next: 'string', objects: 'array' },
  'manifest-record': { media_type: 'string' },
  versions: { more: 'boolean', next: 'string', versions: 'array' },
  error: { description: 'string', error_id: 'string', error_code: 'string', http_status: 'string', external_details: 'string', details: 'object' },
  status: { request_timestamp: 'string', successes: 'array', failures: 'array', pendings: 'array' },
  'status-details': { message: 'string' },
};

function jsonType(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

/** The spec's violations of `body` as a `resource`; [] when it conforms. */
export function violations(resource: string, body: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, type] of Object.entries(REQUIRED[resource]!)) {
    if (!(name in body)) out.push(`${resource}: ${name} is required`);
    else if (jsonType(body[name]) !== type) out.push(`${resource}: ${name} must be ${type}`);
  }
  for (const [name, type] of Object.entries(OPTIONAL[resource]!)) if (name in body && jsonType(body[name]) !== type) out.push(`${resource}: ${name} must be ${type}`);
  if (resource === 'manifest') for (const r of (body.objects as Record<string, unknown>[] | undefined) ?? []) out.push(...violations('manifest-record', r));
  if (resource === 'status') for (const list of ['successes', 'failures', 'pendings']) for (const d of (body[list] as Record<string, unknown>[] | undefined) ?? []) out.push(...violations('status-details', d));
  if (resource === 'collections') for (const c of (body.collections as Record<string, unknown>[] | undefined) ?? []) out.push(...violations('collection', c));
  // A paged resource that says there is more must say where (§3.6 pagination): next.
  if ((resource === 'envelope' || resource === 'manifest' || resource === 'versions') && body.more === true && !('next' in body)) out.push(`${resource}: more without next`);
  return out;
}

