/**
 * Intel through the whole analysis: the bundled example read by the real
 * sources, enriched with the real reference data, detected with an intel
 * index built by the real parsers (a list file, a STIX 2.1 bundle, the OASIS
 * APT1 example bundle) and the real public-suffix rule, reported as NDJSON
 * and an RPZ zone file. Names the example never flags become fast-flux on
 * their first lookup through listed addresses; a listed domain gets the
 * listing verdict; the provenance is in every output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Allowlist } from '../src/act/rpz/allowlist.js';
import { mispFeedSink } from '../src/act/misp/sink.js';
import { ndjsonSink } from '../src/act/report/ndjson.js';
import { rpzSink } from '../src/act/rpz/sink.js';
import { SHARED_ADDRESS_REASON } from '../src/act/shared-reasons.js';
import { stixSink } from '../src/act/stix/sink.js';
import { rpzOptionsOf } from '../src/act/rpz/zone.js';
import { analyze, type AnalyzeSummary } from '../src/analyze.js';
import { defaultConfig } from '../src/config/schema.js';
import { isIntelListing } from '../src/detect/intel-verdict.js';
import { isRegistrable } from '../src/detect/registered-domain.js';
import { createEnricher } from '../src/enrich/index.js';
import { loadInfra } from '../src/enrich/infra/index.js';
import { buildIntelIndex } from '../src/intel/index.js';
import { parseList } from '../src/intel/list.js';
import { parseStix } from '../src/intel/stix/index.js';
import type { Verdict } from '../src/model/verdict.js';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-intel-analyze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Addresses and names of the example that it never flags on its own (test/golden/example.verdicts.ndjson: benign).
const PARTNER_LIST = [
  '# partner A: flux infrastructure seen in our sinkhole',
  '162.55.93.64          # autodiscover.planetferry86.com answers it',
  '194.163.138.0/24      # git.fleet-central.fr answers 194.163.138.3',
  '178.32.194.195        # app.paper-drive.com: allowlisted below',
  '20.15.221.234         # a CDN/cloud edge (api.havenmission.de): never a trigger',
  '',
].join('\n');
const WATCH_LIST = 'flower-stone.co.jp\n';
const STIX_ID = 'indicator--3f1b5a3e-6f2c-4d1e-9a0b-2c7d8e9f0a1b';
const STIX_BUNDLE = JSON.stringify({
  type: 'bundle',
  id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
  objects: [
    {
      type: 'indicator',
      spec_version: '2.1',
      id: STIX_ID,
      created: '2025-04-01T00:00:00.000Z',
      modified: '2025-04-01T00:00:00.000Z',
      name: 'solartiger fast-flux C2',
      indicator_types: ['malicious-activity'],
      pattern: "[domain-name:value = 'solartiger.com']",
      pattern_type: 'stix',
      valid_from: '2025-04-01T00:00:00Z',
    },
  ],
});

const verdicts: Verdict[] = [];
let summary: AnalyzeSummary;
let zone: string;
let ndjson = '';
let stix: { objects: { type: string; name?: string; description?: string }[] };
let mispEvents: { Event: { Attribute: { value: string; comment: string }[]; Object?: { Attribute: { value: string; comment: string }[] }[] } }[];

beforeAll(async () => {
  const partnerPath = join(dir, 'partner-a.txt');
  const watchPath = join(dir, 'watch.txt');
  const stixPath = join(dir, 'cert.json');
  writeFileSync(partnerPath, PARTNER_LIST);
  writeFileSync(watchPath, WATCH_LIST);
  writeFileSync(stixPath, STIX_BUNDLE);
  const config = defaultConfig();
  config.policy.allowlist = ['app.paper-drive.com'];
  const allowlist = new Allowlist(config.policy.allowlist);
  const now = Date.UTC(2025, 3, 3);
  // No isKnownInfrastructure: the CDN edge reaches the index, and the detector's own infrastructure test must win.
  const index = buildIntelIndex(
    [
      { name: 'partner-a', action: 'log', confidence: 50, expiresAt: Infinity, feed: parseList(readFileSync(partnerPath, 'utf8'), 'partner-a.txt') },
      { name: 'cert-stix', action: 'block', confidence: 80, expiresAt: Infinity, feed: parseStix(readFileSync(stixPath, 'utf8'), 'cert.json', { now }) },
      { name: 'apt1', action: 'block', confidence: 70, expiresAt: Infinity, feed: parseStix(readFileSync(join(ROOT, 'test/fixtures/cti/stix/apt1.json'), 'utf8'), 'apt1.json', { now }) },
      { name: 'watch', action: 'log', confidence: 40, expiresAt: Infinity, feed: parseList(readFileSync(watchPath, 'utf8'), 'watch.txt') },
    ],
    { isRegistrable, isAllowlisted: (name) => allowlist.isAllowed(name) },
  );
  const rpzPath = join(dir, 'flux.rpz');
  const rpzOptions = rpzOptionsOf(config);
  const stixPathOut = join(dir, 'out.stix.json');
  const mispDir = join(dir, 'misp');
  const local = new PassThrough();
  local.on('data', (chunk: Buffer) => void (ndjson += chunk.toString('utf8')));
  summary = await analyze({
    files: [EXAMPLE],
    format: 'auto',
    config,
    enricher: await createEnricher(),
    infra: loadInfra(),
    baseline: null,
    intel: { current: () => index },
    all: false,
    sinks: [
      rpzSink(rpzPath, rpzOptions),
      ndjsonSink(local),
      stixSink(stixPathOut, { identity: 'fluxhound', tlp: 'green', suspicious: false, expiry: config.policy.expiry }),
      mispFeedSink(mispDir, { org: config.misp.org, tlp: config.misp.tlp, distribution: config.misp.distribution }),
      { name: 'collect', verdict: (v) => void verdicts.push(v), close: async () => {} },
    ],
  });
  zone = readFileSync(rpzPath, 'utf8');
  stix = JSON.parse(readFileSync(stixPathOut, 'utf8')) as typeof stix;
  mispEvents = readdirSync(mispDir)
    .filter((f) => /^[0-9a-f-]{36}\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(mispDir, f), 'utf8')) as (typeof mispEvents)[number]);
}, 60_000);

const named = (domain: string) => verdicts.filter((v) => v.domain === domain && v.scope === 'name');

describe('analyze with intel feeds on the bundled example', () => {
  it('flags a name on its first lookup through a listed address, naming feed, entry and value', () => {
    const [v] = named('autodiscover.planetferry86.com');
    expect(v).toMatchObject({ verdict: 'fast-flux', lookups_to_flag: 1, features: { intel_addresses: 1, intel_evidence: 0.5 } });
    expect(v!.reasons).toContain('162.55.93.64 listed by intel feed partner-a (entry partner-a.txt:2, confidence 50) as flux infrastructure');
    expect(v!.intel).toEqual([{ feed: 'partner-a', ref: 'partner-a.txt:2', kind: 'address', value: '162.55.93.64', note: '', confidence: 50, action: 'log' }]);
    const [net] = named('git.fleet-central.fr');
    expect(net).toMatchObject({ verdict: 'fast-flux', lookups_to_flag: 1, intel: [{ kind: 'cidr', value: '194.163.138.0/24', ref: 'partner-a.txt:3' }] });
    expect(net!.reasons).toContain('194.163.138.3 (in 194.163.138.0/24) listed by intel feed partner-a (entry partner-a.txt:3, confidence 50) as flux infrastructure');
  });

  it('gives a domain a STIX feed lists the listing verdict, once, with the indicator as the entry', () => {
    const listed = named('solartiger.com');
    expect(listed).toHaveLength(1);
    expect(isIntelListing(listed[0]!)).toBe(true);
    expect(listed[0]).toMatchObject({ verdict: 'fast-flux', flux: null, score: 80, intel: [{ feed: 'cert-stix', ref: STIX_ID, kind: 'domain', value: 'solartiger.com', action: 'block' }] });
    expect(listed[0]!.reasons[0]).toMatch(/^solartiger\.com \(above [a-z]+\.solartiger\.com\) listed by intel feed cert-stix \(entry indicator--3f1b5a3e-6f2c-4d1e-9a0b-2c7d8e9f0a1b, confidence 80\)/);
    expect(listed[0]!.features.lookups).toBeGreaterThan(1);
  });

  it('never flags the allowlisted name nor the CDN edge a feed lists', () => {
    expect(verdicts.filter((v) => v.domain === 'app.paper-drive.com')).toEqual([]);
    expect(verdicts.filter((v) => v.domain === 'api.havenmission.de')).toEqual([]);
    expect(verdicts.filter((v) => v.intel?.some((l) => l.value === '178.32.194.195' || l.value === '20.15.221.234'))).toEqual([]);
  });

  it('writes the provenance into the RPZ comment; a log feed\'s listing is reported but no trigger', () => {
    expect(zone).toContain(`solartiger.com CNAME . ; intel: domain solartiger.com listed by cert-stix entry ${STIX_ID} (confidence 80, block)\n`);
    expect(zone).toContain('autodiscover.planetferry86.com CNAME . ; intel: address 162.55.93.64 listed by partner-a entry partner-a.txt:2 (confidence 50, log)\n');
    expect(named('flower-stone.co.jp')).toMatchObject([{ verdict: 'fast-flux', intel: [{ feed: 'watch', action: 'log' }] }]);
    expect(zone).not.toMatch(/^flower-stone\.co\.jp /m);
  });

  it('counts listings and evidence in the summary; the flags the example makes on its own stay', () => {
    expect(summary.intelListings).toBe(2);
    expect(summary.intelEvidence).toBe(2);
    expect(summary.detector.intelListed).toBe(2);
    // The example's own fast-flux names (test/golden: 24 flagged) are all still flagged.
    const golden = readFileSync(join(ROOT, 'test/golden/example.verdicts.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Verdict)
      .filter((v) => v.verdict !== 'benign');
    for (const g of golden) expect(verdicts.some((v) => v.domain === g.domain && v.scope === g.scope && v.verdict === g.verdict), g.domain).toBe(true);
    // Verdicts without intel carry no intel keys: outputs without feeds are unchanged.
    for (const v of verdicts.filter((x) => x.intel === undefined)) expect('intel_addresses' in v.features).toBe(false);
  });

  it('shares intel evidence without the feed, its entry or note (STIX, MISP); the local NDJSON keeps the provenance', () => {
    // Local: the operator's own output names feed and entry.
    expect(ndjson).toContain('listed by intel feed partner-a (entry partner-a.txt:2, confidence 50)');
    const indicator = stix.objects.find((o) => o.type === 'indicator' && o.name === 'autodiscover.planetferry86.com');
    expect(indicator?.description).toContain(SHARED_ADDRESS_REASON);
    const comments = mispEvents.flatMap((e) => [...e.Event.Attribute, ...(e.Event.Object ?? []).flatMap((o) => o.Attribute)]).map((a) => a.comment);
    const misp = comments.find((c) => c.includes(SHARED_ADDRESS_REASON));
    expect(misp, 'a MISP comment for the intel-flagged name').toBeDefined();
    // Nothing shared names a feed, an entry, a feed note or the partner's network.
    const shared = [JSON.stringify(stix), ...comments].join('\n');
    for (const secret of ['partner-a', 'partner-a.txt', 'cert-stix', 'apt1', 'intel feed', 'sinkhole', '194.163.138.0/24']) expect(shared, secret).not.toContain(secret);
  });
});
