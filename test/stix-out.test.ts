/**
 * `analyze --stix` end to end: the bundled example through the real
 * pipeline (sources → enrich → detect → the STIX sink), every object of the
 * bundle validated against its type's OASIS STIX 2.1 JSON schema (Ajv,
 * draft 2020-12), and the same run twice giving the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stixSink } from '../src/act/stix/sink.js';
import { analyze, type AnalyzeSummary } from '../src/analyze.js';
import { defaultConfig } from '../src/config/schema.js';
import { createEnricher } from '../src/enrich/index.js';
import { loadInfra } from '../src/enrich/infra/index.js';
import { CLI, requireBuilt } from './support/cli.js';
import { stixValidators } from './helpers/stix-schemas.js';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-stix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Obj = { type: string; id: string; [k: string]: unknown };
interface Bundle {
  type: string;
  id: string;
  objects: Obj[];
}

async function run(path: string, tlp: 'amber' | 'clear' = 'amber'): Promise<AnalyzeSummary> {
  return analyze({
    files: [EXAMPLE],
    format: 'auto',
    config: defaultConfig(),
    enricher: await createEnricher(),
    infra: loadInfra(),
    baseline: null,
    all: false,
    sinks: [
      stixSink(path, { identity: 'Example CERT', tlp, expiry: 604_800, suspicious: false }),
      { name: 'collect', verdict: (v) => void fastFluxNames.add(v.verdict === 'fast-flux' ? v.domain : ''), close: async () => {} },
    ],
  });
}

let bundle: Bundle;
let text: string;
let summary: AnalyzeSummary;
const fastFluxNames = new Set<string>();
const validators = stixValidators();

beforeAll(async () => {
  summary = await run(join(dir, 'a.json'));
  text = readFileSync(join(dir, 'a.json'), 'utf8');
  bundle = JSON.parse(text) as Bundle;
}, 60_000);

const ofType = (type: string) => bundle.objects.filter((o) => o.type === type);

describe('analyze --stix on the bundled example', () => {
  it('validates as a bundle, and every object against its own type schema', () => {
    expect(validators.bundle(bundle), JSON.stringify(validators.bundle.errors)).toBe(true);
    const types = new Set<string>();
    for (const o of bundle.objects) {
      const validate = validators.byType.get(o.type);
      expect(validate, `no schema for ${o.type}`).toBeDefined();
      expect(validate!(o), `${o.id}: ${JSON.stringify(validate!.errors)}`).toBe(true);
      types.add(o.type);
    }
    expect([...types].sort()).toEqual(
      ['domain-name', 'identity', 'indicator', 'infrastructure', 'ipv4-addr', 'marking-definition', 'relationship'].filter((t) =>
        types.has(t),
      ),
    );
    for (const t of ['domain-name', 'identity', 'indicator', 'ipv4-addr', 'marking-definition', 'relationship']) expect(types).toContain(t);
  });

  it('the validators refuse what the spec refuses (they are not vacuous)', () => {
    const indicator = ofType('indicator')[0]!;
    const { pattern_type: _dropped, ...noPatternType } = indicator;
    expect(validators.byType.get('indicator')!(noPatternType)).toBe(false);
    expect(validators.byType.get('indicator')!({ ...indicator, created: '2025-04-03 00:16:24' })).toBe(false);
    expect(validators.byType.get('domain-name')!({ ...ofType('domain-name')[0]!, id: 'domain-name--not-a-uuid' })).toBe(false);
    expect(validators.byType.get('marking-definition')!({ ...ofType('marking-definition')[0]!, extensions: {} })).toBe(false);
  });

  it('has one indicator per fast-flux name, on domain-name:value, valid until last seen + expiry', () => {
    fastFluxNames.delete('');
    // A registered domain judged in both scopes is one name, one pattern, one indicator.
    expect(summary.fastFlux).toBeGreaterThan(fastFluxNames.size);
    expect(ofType('indicator').map((i) => i.name).sort()).toEqual([...fastFluxNames].sort());
    for (const i of ofType('indicator')) {
      expect(i.pattern).toBe(`[domain-name:value = '${String(i.name)}']`);
      expect(i.pattern_type).toBe('stix');
      expect(i.indicator_types).toEqual(['malicious-activity']);
      expect(Date.parse(i.valid_until as string)).toBeGreaterThan(Date.parse(i.valid_from as string));
      expect(Date.parse(i.valid_until as string) - Date.parse(i.modified as string)).toBe(604_800_000);
      expect(i.confidence).toEqual(expect.any(Number));
      expect(i.description).toMatch(/^fluxhound: fast-flux/);
    }
  });

  it('gives SCOs the spec ids and relates each name to its addresses', () => {
    const domains = new Map(ofType('domain-name').map((d) => [d.id, d.value as string]));
    const addresses = new Set([...ofType('ipv4-addr'), ...ofType('ipv6-addr')].map((a) => a.id));
    const resolves = ofType('relationship').filter((r) => r.relationship_type === 'resolves-to');
    expect(resolves.length).toBeGreaterThan(0);
    for (const r of resolves) {
      expect(domains.has(r.source_ref as string)).toBe(true);
      expect(addresses.has(r.target_ref as string)).toBe(true);
    }
    for (const d of ofType('domain-name')) expect(d.id).toMatch(/^domain-name--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab]/);
  });

  it('makes one botnet infrastructure per flux network, with consists-of and indicates', () => {
    const infra = ofType('infrastructure');
    expect(infra.length).toBe(summary.networks.length);
    expect(infra.length).toBeGreaterThan(0);
    const rels = ofType('relationship');
    for (const i of infra) {
      expect(i.infrastructure_types).toEqual(['botnet']);
      expect(rels.some((r) => r.relationship_type === 'consists-of' && r.source_ref === i.id)).toBe(true);
      expect(rels.some((r) => r.relationship_type === 'indicates' && r.target_ref === i.id)).toBe(true);
    }
  });

  it('signs every SDO and SRO with the identity and marks it with TLP:AMBER (TLP 2.0)', () => {
    const [identity] = ofType('identity');
    expect(identity).toMatchObject({ name: 'Example CERT', identity_class: 'organization' });
    const amber = 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421';
    expect(ofType('marking-definition').map((m) => m.id)).toEqual([amber]);
    for (const o of bundle.objects.filter((x) => ['indicator', 'infrastructure', 'relationship'].includes(x.type))) {
      expect(o.created_by_ref).toBe(identity!.id);
    }
    for (const o of bundle.objects.filter((x) => x.type !== 'marking-definition')) expect(o.object_marking_refs).toEqual([amber]);
  });

  it('writes the same bytes on a second run, and every id once', async () => {
    await run(join(dir, 'b.json'));
    expect(readFileSync(join(dir, 'b.json'), 'utf8')).toBe(text);
    const ids = bundle.objects.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...bundle.objects].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.id < b.id ? -1 : 1)).map((o) => o.id));
  }, 60_000);

  it('changes only the marking with --stix-tlp clear', async () => {
    await run(join(dir, 'c.json'), 'clear');
    const clear = JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8')) as Bundle;
    expect(clear.objects.filter((o) => o.type === 'marking-definition').map((m) => m.name)).toEqual(['TLP:CLEAR']);
    expect(clear.objects.filter((o) => o.type === 'indicator').map((o) => o.id)).toEqual(ofType('indicator').map((o) => o.id));
    for (const o of clear.objects) expect(validators.byType.get(o.type)!(o)).toBe(true);
  }, 60_000);
});

describe('fluxhound analyze --stix (the built CLI)', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'analyze', '--quiet', ...args, EXAMPLE], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TZ: 'UTC' } });

  it('writes the bundle with the flags for marking and identity, the same bytes as the library', () => {
    requireBuilt();
    const path = join(dir, 'cli.json');
    const r = cli(['--stix', path, '--stix-tlp', 'amber', '--stix-identity', 'Example CERT']);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(text);
  }, 60_000);

  it('fails before reading input on an unwritable path or an unknown TLP level, with exit 2', () => {
    requireBuilt();
    const r = cli(['--stix', join(dir, 'missing', 'x.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^fluxhound: analyze: --stix: cannot write .*ENOENT/);
    expect(cli(['--stix', join(dir, 'x.json'), '--stix-tlp', 'white']).status).toBe(2);
  });
});
