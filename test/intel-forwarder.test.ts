/**
 * Threat intelligence in the Protective DNS forwarder, with real sockets: a
 * forwarder on 127.0.0.1 in a real daemon, a real upstream answering every
 * name, the daemon's own feed set (the intel service, as `--intel` loads
 * it) reading real feed files (test/fixtures/intel), the daemon's own
 * detector, and the block page service of the same daemon. A listed name is handled by its
 * feed's action on its first query, with the feed in the query log, the
 * metrics and the block page; the allowlist wins, also one changed live; an
 * answer pointing into listed infrastructure waits for the detector and is
 * blocked when the name was flagged from it; fail-open when the detector
 * queue is full.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isIntelListing } from '../src/detect/intel-verdict.js';
import { liveAllowlist } from '../src/act/rpz/allowlist.js';
import { buildRpzZone, emptyBuildStats, rpzOptionsOf } from '../src/act/rpz/zone.js';
import { defaultConfig, type Config } from '../src/config/schema.js';
import { loadInfra, type Infra } from '../src/enrich/infra/index.js';
import type { QueryLogEntry } from '../src/model/query-log.js';
import type { IntelIndex } from '../src/intel/index.js';
import { BlockPageService } from '../src/serve/block-page/index.js';
import { apiRoutes } from '../src/serve/http/api/index.js';
import { schemaValidator } from '../src/serve/http/api/validate.js';
import type { Daemon } from '../src/serve/daemon.js';
import { DnsForwarder, type ForwarderOptions } from '../src/serve/dns/forwarder.js';
import { startAnsweringAuthority, type AnsweringAuthority } from './support/answer-all.js';
import { queryUdp } from './support/dns-query.js';
import { testForwarderOptions } from './support/forwarder-options.js';
import { quietDaemon } from './support/quiet-daemon.js';
import { intelService } from '../src/serve/intel/index.js';
import type { Service } from '../src/serve/service.js';
import { flaggedVerdict } from './helpers/verdicts.js';
import { findBinary } from './support/binaries.js';

const PARTNER = { name: 'partner-a', path: 'test/fixtures/intel/partner-a.txt', action: 'block' as const, confidence: 80 };
const WATCH = { name: 'watch', path: 'test/fixtures/intel/watch.txt', action: 'log' as const, confidence: 40 };

/** A Cloudflare address (data/reference: cloudflare's 104.16.0.0/13), under a hostile feed's 104.0.0.0/8. */
const CLOUDFLARE_EDGE = '104.21.5.5';

/** The upstream: every name resolves; names under fluxnet.test into partner-a's listed network, under wide.test into 104.0.0.0/8. */
let upstream: AnsweringAuthority;
const running: { fwd: DnsForwarder; pages: BlockPageService | null; intel: Service | null }[] = [];

beforeAll(async () => {
  upstream = await startAnsweringAuthority((name) =>
    name.endsWith('fluxnet.test') ? '91.92.240.17' : name.endsWith('.wide.test') ? (name.startsWith('edge.') ? CLOUDFLARE_EDGE : '104.250.1.1') : '93.184.215.14',
  );
});
afterAll(() => upstream.close());
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.fwd.stop();
    await r.pages?.stop();
    await r.intel?.stop();
  }
});

interface Harness {
  daemon: Daemon;
  fwd: DnsForwarder;
  logged: QueryLogEntry[];
  index: IntelIndex;
}

async function harness(
  options: { config?: Config; forwarder?: Partial<ForwarderOptions>; feeds?: boolean; out?: PassThrough; infra?: Infra; moreFeeds?: (typeof PARTNER)[] } = {},
): Promise<Harness> {
  const config = options.config ?? defaultConfig();
  const daemon = quietDaemon(config, { out: options.out ?? null, ...(options.infra === undefined ? {} : { infra: options.infra }) });
  // The feed set built without the daemon's infra: a network overlapping a reference range would be refused at
  // build, so this is what reaches the forwarder's own CDN test (as IPv6 networks and warninglist ranges do).
  if (options.infra !== undefined) daemon.context.infra = null;
  // The daemon's own feed set, from the real files, as `serve --intel PATH,name=...,action=...` loads them.
  const feeds = [PARTNER, WATCH, ...(options.moreFeeds ?? [])];
  const intel = options.feeds === false ? null : intelService.create({ intel: feeds.map((f) => `${f.path},name=${f.name},action=${f.action},confidence=${f.confidence}`) }, daemon.context);
  await intel?.start();
  const index = daemon.context.intel?.current() ?? null;
  if (options.feeds !== false && index === null) throw new Error('the feeds did not load');
  if (options.infra !== undefined) daemon.context.infra = options.infra;
  const logged: QueryLogEntry[] = [];
  daemon.context.onQuery((e) => logged.push(e));
  const fwd = new DnsForwarder(testForwarderOptions(upstream.port, options.forwarder), daemon.context);
  await fwd.start();
  running.push({ fwd, pages: null, intel });
  return { daemon, fwd, logged, index: index! };
}

async function metric(h: Harness, name: string): Promise<string> {
  return h.daemon.context.registry.getSingleMetricAsString(name);
}

function addressOf(answer: Awaited<ReturnType<typeof queryUdp>>): string | undefined {
  return (answer.answers?.[0] as { data?: unknown } | undefined)?.data as string | undefined;
}

describe('intel in the forwarder: listed names', () => {
  it('blocks a name a block feed lists on its first query, without asking upstream, naming the feed in the query log, the JSON out and the metrics', async () => {
    const out = new PassThrough();
    const h = await harness({ out });
    const answer = await queryUdp(h.fwd.port, 'www.listed-flux.test');
    expect((answer.flags ?? 0) & 15).toBe(3); // NXDOMAIN: policy.fastFlux by default
    // The listing is in the flagged set: the RPZ, the block page and the API read it there.
    const v = h.daemon.context.flagged.get('listed-flux.test');
    expect(v !== null && isIntelListing(v)).toBe(true);
    expect(v?.intel?.[0]).toMatchObject({ feed: 'partner-a', kind: 'domain', value: 'listed-flux.test', action: 'block', confidence: 80, ref: `${PARTNER.path}:3` });
    expect(h.logged).toHaveLength(1);
    expect(h.logged[0]).toMatchObject({ name: 'www.listed-flux.test', action: 'nxdomain', rule: 'intel', domain: 'listed-flux.test', verdict: 'fast-flux', score: 80 });
    expect(h.logged[0]!.reason).toContain('listed by intel feed partner-a (entry test/fixtures/intel/partner-a.txt:3');
    // The second query finds the listing in the flagged set: still blocked, still one listing.
    expect(((await queryUdp(h.fwd.port, 'listed-flux.test')).flags ?? 0) & 15).toBe(3);
    expect(h.fwd.intel.stats.listings).toBe(1);
    expect(await metric(h, 'fluxhound_dns_intel_blocked_total')).toMatch(/^fluxhound_dns_intel_blocked_total\{feed="partner-a"\} 2$/m);
    expect(await metric(h, 'fluxhound_dns_blocked_total')).toMatch(/^fluxhound_dns_blocked_total\{action="nxdomain",verdict="fast-flux"\} 2$/m);
    // The listing went the daemon's one verdict path: the NDJSON out (serve's JSON) carries it with its provenance, once.
    const lines = ((out.read() as Buffer | null)?.toString('utf8') ?? '').split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ domain: 'listed-flux.test', verdict: 'fast-flux', intel: [{ feed: 'partner-a', ref: `${PARTNER.path}:3`, kind: 'domain' }] });
    // A name beside the listed one is not under it.
    expect(addressOf(await queryUdp(h.fwd.port, 'notlisted-flux.test'))).toBe('93.184.215.14');
  });

  it("answers a name a log feed lists normally and records it as 'log', and the RPZ leaves it out", async () => {
    const h = await harness();
    const answer = await queryUdp(h.fwd.port, 'cdn.watched-only.test');
    expect(addressOf(answer)).toBe('93.184.215.14');
    expect(h.logged).toHaveLength(1);
    expect(h.logged[0]).toMatchObject({ name: 'cdn.watched-only.test', action: 'log', rcode: 'NOERROR', rule: 'intel', domain: 'watched-only.test' });
    expect(h.logged[0]!.reason).toContain('listed by intel feed watch');
    expect(h.fwd.stats.logged).toBe(1);
    expect(await metric(h, 'fluxhound_dns_intel_logged_total')).toMatch(/^fluxhound_dns_intel_logged_total\{feed="watch"\} 1$/m);
    const promtool = findBinary('promtool', 'prometheus');
    // promtool prints its complaints and exits 3 on any; execFileSync throws then.
    if (promtool.path !== null) expect(execFileSync(promtool.path, ['check', 'metrics'], { input: await h.daemon.context.registry.metrics(), encoding: 'utf8' })).toBe('');
    // In the flagged set for the API, but no trigger in the policy zone: the zone must answer it as the forwarder does.
    expect(h.daemon.context.flagged.get('watched-only.test')?.intel?.[0]?.action).toBe('log');
    const stats = emptyBuildStats();
    const zone = buildRpzZone(h.daemon.context.flagged.entries(), rpzOptionsOf(h.daemon.context.config), 1, stats);
    expect(zone.records.map((r) => r.owner).filter((o) => o.includes('watched-only'))).toEqual([]);
    expect(stats.notBlocked).toBe(1);
  });

  it('never blocks an allowlisted listed name: configured, or allowed live after the listing was made', async () => {
    const config = defaultConfig();
    config.policy.allowlist = ['ok.deny-me.example.test'];
    const h = await harness({ config });
    expect(addressOf(await queryUdp(h.fwd.port, 'ok.deny-me.example.test'))).toBe('93.184.215.14');
    expect(h.fwd.stats.allowlisted).toBe(1);
    expect(((await queryUdp(h.fwd.port, 'bad.deny-me.example.test')).flags ?? 0) & 15).toBe(3);
    // The operator allows the listed name itself through the console (the lists service sets the managed names).
    expect(((await queryUdp(h.fwd.port, 'allowed-too.test')).flags ?? 0) & 15).toBe(3);
    liveAllowlist(config).setManaged(['allowed-too.test']);
    expect(addressOf(await queryUdp(h.fwd.port, 'allowed-too.test'))).toBe('93.184.215.14');
    expect(addressOf(await queryUdp(h.fwd.port, 'www.allowed-too.test'))).toBe('93.184.215.14');
    expect(h.fwd.stats.allowlisted).toBe(3);
  });

  it('keeps its listings in the flagged set bounded: the oldest leaves, and comes back on its next lookup', async () => {
    const h = await harness({ forwarder: { maxIntelListings: 1 } });
    const flagged = h.daemon.context.flagged;
    // A detector's verdict in the set is not ours to evict.
    flagged.upsert(flaggedVerdict('other-flux.test'));
    await queryUdp(h.fwd.port, 'listed-flux.test');
    await queryUdp(h.fwd.port, 'deny-me.example.test');
    expect(flagged.get('listed-flux.test')).toBeNull();
    expect(flagged.get('deny-me.example.test')).not.toBeNull();
    expect(flagged.get('other-flux.test')).not.toBeNull();
    expect(h.fwd.intel.stats.evicted).toBe(1);
    expect(((await queryUdp(h.fwd.port, 'listed-flux.test')).flags ?? 0) & 15).toBe(3);
    expect(flagged.get('listed-flux.test')).not.toBeNull();
    expect(flagged.size).toBe(2);
    expect(await metric(h, 'fluxhound_dns_intel_listings_evicted_total')).toMatch(/^fluxhound_dns_intel_listings_evicted_total 2$/m);
  });
});

describe('intel in the forwarder: answers into listed infrastructure', () => {
  it('holds an answer holding a listed address until the detector saw it, then blocks the name it flagged: on the first lookup', async () => {
    const h = await harness();
    // The daemon's own detector reads the same feeds (helper C's intel evidence): a never-seen name resolving into a listed network is flagged from its first answer.
    const answer = await queryUdp(h.fwd.port, 'never-seen.fluxnet.test');
    expect((answer.flags ?? 0) & 15).toBe(3);
    expect(answer.answers).toEqual([]);
    expect(h.fwd.intel.stats.held).toBe(1);
    expect(h.daemon.context.detector.stats.observations).toBe(1);
    expect(h.logged).toHaveLength(1);
    expect(h.logged[0]).toMatchObject({ name: 'never-seen.fluxnet.test', action: 'nxdomain', rule: 'verdict', domain: 'never-seen.fluxnet.test' });
    expect(h.logged[0]!.reason).toContain('partner-a');
    const v = h.daemon.context.flagged.get('never-seen.fluxnet.test');
    expect(v?.intel?.[0]).toMatchObject({ feed: 'partner-a', kind: 'cidr', value: '91.92.240.0/24' });
    expect(await metric(h, 'fluxhound_dns_intel_held_total')).toMatch(/^fluxhound_dns_intel_held_total 1$/m);
    expect(await metric(h, 'fluxhound_dns_intel_blocked_total')).toMatch(/^fluxhound_dns_intel_blocked_total\{feed="partner-a"\} 1$/m);
    // A held answer whose name is not blocked once the detector saw it (here: allowlisted, which the detector never flags either) goes out then.
    const config = defaultConfig();
    config.policy.allowlist = ['plain.fluxnet.test'];
    const other = await harness({ config });
    expect(addressOf(await queryUdp(other.fwd.port, 'plain.fluxnet.test'))).toBe('91.92.240.17');
    expect(other.fwd.intel.stats.held).toBe(1);
    expect(other.daemon.context.detector.stats.observations).toBe(1);
    expect(other.fwd.intel.stats.holdTimeouts).toBe(0);
    // Cached after the hold: the next query is a cache hit, answered at once.
    expect(addressOf(await queryUdp(other.fwd.port, 'plain.fluxnet.test'))).toBe('91.92.240.17');
    expect(other.fwd.stats.cacheHits).toBe(1);
  });

  it('fails open when the detector queue is full: the held answer goes unchecked, counted', async () => {
    const h = await harness({ forwarder: { detectorQueue: 0 } });
    expect(addressOf(await queryUdp(h.fwd.port, 'never-seen.fluxnet.test'))).toBe('91.92.240.17');
    expect(h.fwd.intel.stats.held).toBe(1);
    expect(h.fwd.intel.stats.holdFailOpen).toBe(1);
    expect(h.daemon.context.detector.stats.observations).toBe(0);
    expect(await metric(h, 'fluxhound_dns_intel_hold_fail_open_total')).toMatch(/^fluxhound_dns_intel_hold_fail_open_total 1$/m);
  });

  it('sends a held answer unchecked when the detector has not seen it by intelHoldMs, counted', async () => {
    const h = await harness({ forwarder: { intelHoldMs: 20 } });
    // The detector queue drains on setImmediate: held still, the deadline is what lets the answer go.
    vi.useFakeTimers({ toFake: ['setImmediate'] });
    try {
      expect(addressOf(await queryUdp(h.fwd.port, 'never-seen.fluxnet.test'))).toBe('91.92.240.17');
      expect(h.fwd.intel.stats).toMatchObject({ held: 1, holdTimeouts: 1, holdFailOpen: 0 });
      expect(h.daemon.context.detector.stats.observations).toBe(0);
      expect(await metric(h, 'fluxhound_dns_intel_hold_timeouts_total')).toMatch(/^fluxhound_dns_intel_hold_timeouts_total 1$/m);
      // The detector still sees it, late; the answer already went, once.
      vi.runAllTimers();
    } finally {
      vi.useRealTimers();
    }
    expect(h.daemon.context.detector.stats.observations).toBe(1);
  });

  it("never holds a CDN's answer under a hostile feed's wide network (the detector ignores CDN addresses), but still holds the rest of it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-intel-wide-'));
    try {
      const path = join(dir, 'wide.txt');
      writeFileSync(path, '# a hostile partner lists a whole /8\n104.0.0.0/8\n');
      const h = await harness({ infra: loadInfra(), moreFeeds: [{ name: 'wide', path, action: 'block', confidence: 80 }] });
      expect(h.index.matchAddress(CLOUDFLARE_EDGE, Date.now())?.value).toBe('104.0.0.0/8');
      expect(addressOf(await queryUdp(h.fwd.port, 'edge.wide.test'))).toBe(CLOUDFLARE_EDGE);
      expect(h.fwd.intel.stats.held).toBe(0);
      // An address of the /8 no CDN or cloud owns is still held for the detector.
      await queryUdp(h.fwd.port, 'own.wide.test');
      expect(h.fwd.intel.stats.held).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does nothing of this while no feed is loaded: no listing, no hold', async () => {
    const h = await harness({ feeds: false });
    expect(addressOf(await queryUdp(h.fwd.port, 'listed-flux.test'))).toBe('93.184.215.14');
    expect(addressOf(await queryUdp(h.fwd.port, 'never-seen.fluxnet.test'))).toBe('91.92.240.17');
    expect(h.fwd.intel.stats).toMatchObject({ listings: 0, held: 0 });
    expect(h.daemon.context.flagged.size).toBe(0);
  });
});

describe('intel on the block page', () => {
  it('says which feed and entry list the blocked name, escaped', async () => {
    const h = await harness();
    const pages = new BlockPageService({ host: '127.0.0.1', port: 0, family: 4 }, h.daemon.context);
    await pages.start();
    running[running.length - 1]!.pages = pages;
    expect(((await queryUdp(h.fwd.port, 'www.listed-flux.test')).flags ?? 0) & 15).toBe(3);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: pages.port, path: '/', headers: { Host: 'www.listed-flux.test' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toContain('<code>www.listed-flux.test</code> (because of <code>listed-flux.test</code>)');
    // The one escape rule of the page: '/' and ':' in the entry are escaped as character references.
    expect(body).toContain("A threat-intelligence feed your network&#39;s operator uses (<em>partner-a</em>, entry test&#47;fixtures&#47;intel&#47;partner-a.txt:3) lists this name as <em>fast flux</em>");
    expect(body).toContain('listed by intel feed partner-a (entry test&#47;fixtures&#47;intel&#47;partner-a.txt:3, confidence 80)');
    expect(body).not.toMatch(/<script/);
  });
});

describe('intel in the API', () => {
  /** GET /api/v1/domains/{name} through its route, checked against the documented schema. */
  async function domainView(h: Harness, name: string): Promise<{ blocked: boolean; blocked_by: string | null; verdict: { intel?: { feed: string; ref: string; action: string }[]; reasons: string[] } | null }> {
    const route = apiRoutes(h.daemon.context).find((r) => r.method === 'GET' && r.path === '/api/v1/domains/{name}')!;
    const result = await route.handle({ method: 'GET', path: `/api/v1/domains/${name}`, params: { name }, query: new URLSearchParams(), body: undefined, principal: { name: 'ops', role: 'read' } });
    expect(result.status).toBe(200);
    const validate = schemaValidator('DomainDetail');
    expect(validate(result.body), JSON.stringify(validate.errors)).toBe(true);
    return result.body as never;
  }

  it("shows the feed's listing in the domain view: blocked by a block feed (looked up or not yet), not blocked by a log feed", async () => {
    const h = await harness();
    await queryUdp(h.fwd.port, 'www.listed-flux.test');
    const looked = await domainView(h, 'www.listed-flux.test');
    expect(looked).toMatchObject({ blocked: true, blocked_by: 'listed-flux.test' });
    expect(looked.verdict?.intel?.[0]).toMatchObject({ feed: 'partner-a', ref: `${PARTNER.path}:3`, action: 'block' });
    expect(looked.verdict?.reasons[0]).toContain('listed-flux.test (above www.listed-flux.test) listed by intel feed partner-a');
    // Not looked up yet: the loaded feeds answer.
    const notYet = await domainView(h, 'deny-me.example.test');
    expect(notYet).toMatchObject({ blocked: true, blocked_by: 'deny-me.example.test' });
    expect(notYet.verdict?.intel?.[0]?.feed).toBe('partner-a');
    expect(h.daemon.context.flagged.get('deny-me.example.test')).toBeNull();
    await queryUdp(h.fwd.port, 'watched-only.test');
    const watched = await domainView(h, 'watched-only.test');
    expect(watched).toMatchObject({ blocked: false, blocked_by: null });
    expect(watched.verdict?.intel?.[0]).toMatchObject({ feed: 'watch', action: 'log' });
  });
});
