/**
 * Threat intelligence in the Protective DNS forwarder, with real sockets: a
 * forwarder on 127.0.0.1 in a real daemon, a real upstream answering every
 * name, an IntelIndex built from real feed files (test/fixtures/intel), and
 * the block page service of the same daemon. A listed name is handled by its
 * feed's action on its first query, with the feed in the query log, the
 * metrics and the block page; the allowlist wins, also one changed live; an
 * answer pointing into listed infrastructure waits for the detector and is
 * blocked when the name was flagged from it; fail-open when the detector
 * queue is full.
 */
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isIntelListing } from '../src/detect/intel-verdict.js';
import { liveAllowlist } from '../src/act/rpz/allowlist.js';
import { buildRpzZone, emptyBuildStats, rpzOptionsOf } from '../src/act/rpz/zone.js';
import { defaultConfig, type Config } from '../src/config/schema.js';
import type { QueryLogEntry } from '../src/model/query-log.js';
import type { IntelIndex } from '../src/intel/index.js';
import { BlockPageService } from '../src/serve/block-page/index.js';
import type { Daemon } from '../src/serve/daemon.js';
import { DnsForwarder, type ForwarderOptions } from '../src/serve/dns/forwarder.js';
import { startAnsweringAuthority, type AnsweringAuthority } from './support/answer-all.js';
import { queryUdp } from './support/dns-query.js';
import { testForwarderOptions } from './support/forwarder-options.js';
import { quietDaemon } from './support/quiet-daemon.js';
import { indexOfFeeds, staticIntelFeeds } from './support/static-intel.js';
import { flaggedVerdict } from './helpers/verdicts.js';

const PARTNER = { name: 'partner-a', path: 'test/fixtures/intel/partner-a.txt', action: 'block' as const, confidence: 80 };
const WATCH = { name: 'watch', path: 'test/fixtures/intel/watch.txt', action: 'log' as const, confidence: 40 };

/** The upstream: every name resolves; names under fluxnet.test into partner-a's listed network. */
let upstream: AnsweringAuthority;
const running: { fwd: DnsForwarder; pages: BlockPageService | null }[] = [];

beforeAll(async () => {
  upstream = await startAnsweringAuthority((name) => (name.endsWith('fluxnet.test') ? '91.92.240.17' : '93.184.215.14'));
});
afterAll(() => upstream.close());
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.fwd.stop();
    await r.pages?.stop();
  }
});

interface Harness {
  daemon: Daemon;
  fwd: DnsForwarder;
  logged: QueryLogEntry[];
  index: IntelIndex;
}

async function harness(options: { config?: Config; forwarder?: Partial<ForwarderOptions>; feeds?: boolean } = {}): Promise<Harness> {
  const config = options.config ?? defaultConfig();
  const daemon = quietDaemon(config);
  const allow = liveAllowlist(config);
  const index = indexOfFeeds([PARTNER, WATCH], allow.isAllowed);
  daemon.context.intel = options.feeds === false ? null : staticIntelFeeds(index);
  const logged: QueryLogEntry[] = [];
  daemon.context.onQuery((e) => logged.push(e));
  const fwd = new DnsForwarder(testForwarderOptions(upstream.port, options.forwarder), daemon.context);
  await fwd.start();
  running.push({ fwd, pages: null });
  return { daemon, fwd, logged, index };
}

async function metric(h: Harness, name: string): Promise<string> {
  return h.daemon.context.registry.getSingleMetricAsString(name);
}

function addressOf(answer: Awaited<ReturnType<typeof queryUdp>>): string | undefined {
  return (answer.answers?.[0] as { data?: unknown } | undefined)?.data as string | undefined;
}

describe('intel in the forwarder: listed names', () => {
  it('blocks a name a block feed lists on its first query, without asking upstream, naming the feed in the query log and the metrics', async () => {
    const h = await harness();
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
    // What the detector does with intel evidence (a never-seen name resolving into a listed network is flagged at once), done by an observer of the same daemon: it runs where the detector does, before the held answer is let go.
    h.daemon.context.onObservation?.((o) => {
      for (const rr of o.answers) {
        const hit = rr.type === 'A' ? h.index.matchAddress(rr.data) : null;
        if (hit !== null) {
          const v = flaggedVerdict(o.qname, { registered: 'fluxnet.test', reasons: [`resolves into ${hit.value}, listed by intel feed ${hit.feed} (entry ${hit.ref})`] });
          h.daemon.context.flagged.upsert({ ...v, intel: [{ feed: hit.feed, ref: hit.ref, kind: 'cidr', value: hit.value, note: hit.note, confidence: hit.confidence, action: hit.action }] });
        }
      }
    });
    const answer = await queryUdp(h.fwd.port, 'never-seen.fluxnet.test');
    expect((answer.flags ?? 0) & 15).toBe(3);
    expect(answer.answers).toEqual([]);
    expect(h.fwd.intel.stats.held).toBe(1);
    expect(h.daemon.context.detector.stats.observations).toBe(1);
    expect(h.logged).toHaveLength(1);
    expect(h.logged[0]).toMatchObject({ name: 'never-seen.fluxnet.test', action: 'nxdomain', rule: 'verdict' });
    expect(await metric(h, 'fluxhound_dns_intel_held_total')).toMatch(/^fluxhound_dns_intel_held_total 1$/m);
    expect(await metric(h, 'fluxhound_dns_intel_blocked_total')).toMatch(/^fluxhound_dns_intel_blocked_total\{feed="partner-a"\} 1$/m);
    // A name the detector does not flag from a held answer gets its real answer once the detector saw it
    // (a detector that gives intel evidence no weight: the real one flags a never-seen name resolving into a listed network).
    const unweighted = defaultConfig();
    unweighted.weights.intel_evidence = { ...unweighted.weights.intel_evidence, points: 0 };
    const other = await harness({ config: unweighted });
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
    expect(body).toContain('partner-a</em>, entry test&#47;fixtures&#47;intel&#47;partner-a.txt:3)');
    expect(body).not.toMatch(/<script/);
  });
});
