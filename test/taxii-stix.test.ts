/**
 * The TAXII findings collection over the real act/stix objects: a daemon's
 * flagged set (verdicts with addresses and a flux network) served by the
 * TAXII service, every object of every page valid against the OASIS STIX 2.1
 * JSON schemas and every answer holding the spec's required fields; then a
 * poller that remembered X-TAXII-Date-Added-Last gets, with added_after,
 * exactly what a later publication added or changed.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stixOptionsOf } from '../src/serve/share/live.js';
import { defaultConfig } from '../src/config/schema.js';
import { Daemon } from '../src/serve/daemon.js';
import { FINDINGS_COLLECTION_ID, TAXII_MEDIA_TYPE } from '../src/serve/taxii/resources.js';
import { TaxiiService } from '../src/serve/taxii/index.js';
import { findingsSource, REBUILD_MIN_MS } from '../src/serve/taxii/source.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { stixValidators } from './helpers/stix-schemas.js';
import { violations } from './helpers/taxii-spec.js';
import { flaggedVerdict } from './helpers/verdicts.js';
import { bearer, writeTokenFile } from './support/tokens.js';

const config = defaultConfig();
const daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
const { flagged } = daemon.context;
let clock = Date.parse('2026-12-05T12:00:00.000Z');
const source = findingsSource({ flagged, networks: () => daemon.context.detector.networks.summaries() }, () => stixOptionsOf(config), () => clock);
const tokens = writeTokenFile();
const taxii = new TaxiiService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, source });
const headers = { ...bearer(tokens.read), accept: TAXII_MEDIA_TYPE };
const objectsUrl = (query: string): string => `http://127.0.0.1:${taxii.port}/fluxhound/collections/${FINDINGS_COLLECTION_ID}/objects/?${query}`;
const validators = stixValidators();

beforeAll(() => taxii.start());
afterAll(() => taxii.stop());

const addresses = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}.${i + 1}`);
function flux(domain: string, ips: string[], network: string | null, lastSeen = '2025-04-03T03:58:26.000Z') {
  return { ...flaggedVerdict(domain, { addresses: ips, lastSeen }), network };
}

/** Every page of the collection after `query` (limit 7 forces paging); the answers checked against the spec as they come. */
async function poll(query: string): Promise<{ objects: Array<Record<string, unknown> & { id: string; type: string }>; last: string | null }> {
  const objects: Array<Record<string, unknown> & { id: string; type: string }> = [];
  let next: string | undefined;
  let last: string | null = null;
  for (;;) {
    const res = await fetch(objectsUrl(`${query}&limit=7${next === undefined ? '' : `&next=${encodeURIComponent(next)}`}`), { headers });
    expect(res.status).toBe(200);
    const envelope = (await res.json()) as Record<string, unknown>;
    expect(violations('envelope', envelope)).toEqual([]);
    objects.push(...((envelope.objects as typeof objects | undefined) ?? []));
    last = res.headers.get('x-taxii-date-added-last') ?? last;
    if (envelope.more !== true) return { objects, last };
    next = envelope.next as string;
  }
}

describe('TAXII findings: the act/stix objects', () => {
  let firstLast: string;

  it('serves indicators, SCOs, relationships, identity and TLP marking, every object valid against the OASIS schemas', async () => {
    flagged.upsert(flux('a.flux.example', addresses('198.51.100', 3), 'fn-1'));
    flagged.upsert(flux("it's.flux.example", addresses('203.0.113', 2), null));
    const { objects, last } = await poll('match[version]=all');
    const types = new Set(objects.map((o) => o.type));
    expect([...types].sort()).toEqual(['domain-name', 'identity', 'indicator', 'infrastructure', 'ipv4-addr', 'marking-definition', 'relationship']);
    expect(objects.filter((o) => o.type === 'indicator').map((o) => o.pattern).sort()).toEqual(["[domain-name:value = 'a.flux.example']", "[domain-name:value = 'it\\'s.flux.example']"]);
    for (const o of objects) {
      const validate = validators.byType.get(o.type)!;
      expect(validate(o), `${o.id}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    // Each (id, version) once.
    expect(new Set(objects.map((o) => `${o.id} ${String(o.modified ?? '')}`)).size).toBe(objects.length);
    firstLast = last!;
  });

  it('added_after the last date_added a poller saw gives exactly what a later publication added or changed', async () => {
    flagged.upsert(flux('b.flux.example', addresses('192.0.2', 2), 'fn-1'));
    flagged.upsert(flux('a.flux.example', addresses('198.51.100', 3), 'fn-1', '2025-04-03T05:00:00.000Z'));
    clock += REBUILD_MIN_MS;
    const { objects } = await poll(`added_after=${encodeURIComponent(firstLast)}`);
    const byType = (type: string) => objects.filter((o) => o.type === type);
    // The new name's indicator, SCOs and resolves-to; a.flux.example's indicator and relationships as new versions.
    expect(byType('indicator').map((o) => o.name).sort()).toEqual(['a.flux.example', 'b.flux.example']);
    expect(byType('indicator').find((o) => o.name === 'a.flux.example')!.modified).toBe('2025-04-03T05:00:00.000Z');
    expect(byType('domain-name').map((o) => o.value)).toEqual(['b.flux.example']);
    expect(byType('ipv4-addr').map((o) => o.value).sort()).toEqual(['192.0.2.1', '192.0.2.2']);
    // The flux network's infrastructure grew: a new version, and consists-of its new members.
    expect(byType('infrastructure')).toHaveLength(1);
    const infrastructure = byType('infrastructure')[0]!.id;
    expect(byType('relationship').filter((r) => r.relationship_type === 'consists-of' && r.source_ref === infrastructure).length).toBeGreaterThanOrEqual(3);
    // Nothing that did not change: not the other name, the identity or the marking.
    expect(objects.some((o) => o.name === "it's.flux.example" || o.type === 'identity' || o.type === 'marking-definition')).toBe(false);
    for (const o of objects) expect(validators.byType.get(o.type)!(o)).toBe(true);
    // Polling again from the newest date_added gives nothing.
    const again = await fetch(objectsUrl(`added_after=${encodeURIComponent(new Date(clock).toISOString())}`), { headers });
    expect(await again.json()).toEqual({ more: false });
  });
});
