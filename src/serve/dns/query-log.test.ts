/**
 * The forwarder's query-log recording over real sockets: blocked queries
 * (every policy action, with the rcode sent), flagged names answered under
 * policy log, sampled other queries (sample 1 and 0, answers from upstream,
 * cache and SERVFAIL), customer attribution, the per-minute counts, the
 * switch off, a reload that changes the sample, and the entries and counts
 * reaching the real SQLite store.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAnsweringAuthority, type AnsweringAuthority } from '../../../test/support/answer-all.js';
import { testForwarderOptions } from '../../../test/support/forwarder-options.js';
import { quietDaemon } from '../../../test/support/quiet-daemon.js';
import { waitFor } from '../../../test/support/daemon.js';
import { defaultConfig, type Config } from '../../config/schema.js';
import type { QueryLogEntry } from '../../model/query-log.js';
import type { Verdict } from '../../model/verdict.js';
import { verdictFixture } from '../../store/store.case.js';
import type { Daemon } from '../daemon.js';
import { liveAllowlist } from '../../act/rpz/allowlist.js';
import { listsService } from '../lists/index.js';
import { storeService } from '../store/index.js';
import { DnsForwarder, type ForwarderOptions } from './forwarder.js';
import { ruleOf } from '../../model/query-log.js';

let upstream: AnsweringAuthority;
const running: DnsForwarder[] = [];

beforeAll(async () => {
  upstream = await startAnsweringAuthority(() => '192.0.2.1');
});
afterAll(() => upstream.close());
afterEach(async () => {
  for (const f of running.splice(0)) await f.stop();
});

interface Setup {
  fwd: DnsForwarder;
  daemon: Daemon;
  entries: QueryLogEntry[];
}

async function forwarder(config: Config, options: Partial<ForwarderOptions> = {}): Promise<Setup> {
  const daemon = quietDaemon(config);
  const fwd = new DnsForwarder(testForwarderOptions(upstream.port, options), daemon.context);
  await fwd.start();
  running.push(fwd);
  daemon.services.push(fwd);
  const entries: QueryLogEntry[] = [];
  daemon.context.onQuery((e) => entries.push(e));
  return { fwd, daemon, entries };
}

function configWith(edit: (c: Config) => void): Config {
  const config = defaultConfig();
  config.customers = [
    { id: 'acme', name: 'Acme', contact: '', networks: ['127.0.0.0/8'] },
    { id: 'lab', name: 'Lab', contact: '', networks: ['127.0.0.9/32'] },
  ];
  edit(config);
  return config;
}

/** dns-packet's typings leave the rcode out. */
type Answer = packet.DecodedPacket & { rcode?: string };

/** One UDP query from `from` (a loopback address); the decoded answer, or null after `ms`. */
async function ask(port: number, name: string, type: packet.RecordType = 'A', from = '127.0.0.1', ms = 2000): Promise<Answer | null> {
  const socket: UdpSocket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, from, () => r()));
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), ms);
      socket.on('message', (m) => {
        clearTimeout(timer);
        resolve(packet.decode(m) as Answer);
      });
      socket.send(packet.encode({ type: 'query', id: 99, flags: packet.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

describe('query log recording in the forwarder', () => {
  it('records every blocked query with its verdict, rule, reason, customer and the rcode sent', async () => {
    const { fwd, daemon, entries } = await forwarder(configWith(() => undefined));
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    expect((await ask(fwd.port, 'deep.WWW.flux.test', 'AAAA'))?.rcode).toBe('NXDOMAIN');
    expect((await ask(fwd.port, 'www.flux.test', 'A', '127.0.0.9'))?.rcode).toBe('NXDOMAIN');
    expect(entries).toHaveLength(2);
    const [first, second] = entries;
    expect(first).toEqual({
      ts: first!.ts,
      client: '127.0.0.1',
      customer: 'acme',
      name: 'deep.www.flux.test',
      qtype: 'AAAA',
      action: 'nxdomain',
      rcode: 'NXDOMAIN',
      domain: 'www.flux.test',
      verdict: 'fast-flux',
      score: 90,
      rule: 'verdict',
      reason: '12 IPs in 9 ASNs across 6 countries',
    });
    expect(Math.abs(first!.ts - Date.now() / 1000)).toBeLessThan(60);
    expect(Math.round(first!.ts * 1000)).toBe(first!.ts * 1000);
    // The longest prefix wins: 127.0.0.9/32 is the lab's.
    expect(second).toMatchObject({ client: '127.0.0.9', customer: 'lab', name: 'www.flux.test', qtype: 'A', action: 'nxdomain' });
    // An unflagged name is counted, not recorded (sample 0).
    expect((await ask(fwd.port, 'fine.test'))?.rcode).toBe('NOERROR');
    expect(entries).toHaveLength(2);
    const rows = daemon.context.queryStats.drain();
    expect(rows.map((r) => [r.customer, r.queries, r.blocked, r.logged])).toEqual([
      ['acme', 2, 1, 0],
      ['lab', 1, 1, 0],
    ]);
    expect(await daemon.context.registry.getSingleMetricAsString('fluxhound_dns_querylog_recorded_total')).toMatch(/fluxhound_dns_querylog_recorded_total 2$/m);
  });

  it('records sinkhole and nodata with NOERROR, drop with no rcode', async () => {
    const { fwd, daemon, entries } = await forwarder(
      configWith((c) => {
        c.policy.fastFlux = 'sinkhole';
        c.policy.suspicious = 'nodata';
      }),
    );
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    daemon.context.flagged.upsert(verdictFixture('sus.other.test', 'suspicious', 40));
    await ask(fwd.port, 'www.flux.test');
    await ask(fwd.port, 'sus.other.test');
    expect(entries.map((e) => [e.action, e.rcode, e.verdict, e.score])).toEqual([
      ['sinkhole', 'NOERROR', 'fast-flux', 90],
      ['nodata', 'NOERROR', 'suspicious', 40],
    ]);
    const drop = await forwarder(configWith((c) => (c.policy.fastFlux = 'drop')));
    drop.daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    expect(await ask(drop.fwd.port, 'www.flux.test', 'A', '127.0.0.1', 300)).toBeNull();
    expect(drop.entries.map((e) => [e.action, e.rcode, e.domain])).toEqual([['drop', null, 'www.flux.test']]);
    expect(drop.daemon.context.queryStats.drain()[0]).toMatchObject({ queries: 1, blocked: 1 });
  });

  it('records a flagged name answered under policy log with the answer\'s rcode, from upstream and from the cache', async () => {
    const { fwd, daemon, entries } = await forwarder(configWith(() => undefined));
    daemon.context.flagged.upsert(verdictFixture('sus.other.test', 'suspicious', 40));
    expect((await ask(fwd.port, 'sus.other.test'))?.answers).toHaveLength(1);
    expect((await ask(fwd.port, 'sus.other.test'))?.answers).toHaveLength(1);
    expect(fwd.stats.cacheHits).toBe(1);
    expect(entries.map((e) => [e.action, e.rcode, e.verdict, e.rule, e.customer])).toEqual([
      ['log', 'NOERROR', 'suspicious', 'verdict', 'acme'],
      ['log', 'NOERROR', 'suspicious', 'verdict', 'acme'],
    ]);
    expect(daemon.context.queryStats.drain()[0]).toMatchObject({ queries: 2, blocked: 0, logged: 2 });
  });

  it('records every other query with sample 1 (upstream, cache, SERVFAIL) and none with sample 0', async () => {
    const all = await forwarder(configWith((c) => (c.serve.querylog.sample = 1)));
    await ask(all.fwd.port, 'a.test');
    await ask(all.fwd.port, 'A.test');
    await ask(all.fwd.port, 'a.test', 'TXT');
    expect(all.entries.map((e) => [e.name, e.qtype, e.action, e.rcode, e.domain, e.verdict, e.score, e.rule, e.reason])).toEqual([
      ['a.test', 'A', 'pass', 'NOERROR', null, null, null, null, null],
      ['a.test', 'A', 'pass', 'NOERROR', null, null, null, null, null],
      ['a.test', 'TXT', 'pass', 'NOERROR', null, null, null, null, null],
    ]);
    expect(all.fwd.stats.cacheHits).toBe(1);

    // An upstream that never answers: the SERVFAIL sent is what is recorded.
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const dead = await forwarder(configWith((c) => (c.serve.querylog.sample = 1)), { timeout: 100, upstreams: [{ host: '127.0.0.1', port: silent.address().port, family: 4 }] });
    expect((await ask(dead.fwd.port, 'slow.test'))?.rcode).toBe('SERVFAIL');
    await waitFor('the SERVFAIL entry', () => dead.entries.length === 1);
    expect(dead.entries[0]).toMatchObject({ name: 'slow.test', action: 'pass', rcode: 'SERVFAIL' });
    silent.close();

    const none = await forwarder(configWith((c) => (c.serve.querylog.sample = 0)));
    for (let i = 0; i < 5; i++) await ask(none.fwd.port, `n${i}.test`);
    expect(none.entries).toEqual([]);
    expect(none.daemon.context.queryStats.drain()[0]).toMatchObject({ customer: 'acme', queries: 5, blocked: 0, logged: 0 });
  });

  it('records nothing when serve.querylog.enabled is false, and still counts', async () => {
    const { fwd, daemon, entries } = await forwarder(
      configWith((c) => {
        c.serve.querylog.enabled = false;
        c.serve.querylog.sample = 1;
      }),
    );
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    await ask(fwd.port, 'www.flux.test');
    await ask(fwd.port, 'fine.test');
    expect(entries).toEqual([]);
    expect(daemon.context.queryStats.drain()[0]).toMatchObject({ queries: 2, blocked: 1 });
  });

  it('takes the new sample and switch on reload (SIGHUP)', async () => {
    const config = configWith(() => undefined);
    const { fwd, daemon, entries } = await forwarder(config);
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    await ask(fwd.port, 'before.test');
    expect(entries).toHaveLength(0);
    config.serve.querylog.sample = 1;
    await daemon.reload();
    await ask(fwd.port, 'after.test');
    expect(entries.map((e) => e.name)).toEqual(['after.test']);
    config.serve.querylog.enabled = false;
    await daemon.reload();
    await ask(fwd.port, 'www.flux.test');
    await ask(fwd.port, 'later.test');
    expect(entries.map((e) => e.name)).toEqual(['after.test']);
  });
});

describe('ruleOf', () => {
  it("gives 'verdict' and the strongest reason for a detector verdict, 'denylist' and the entry's comment for the deny list", () => {
    expect(ruleOf(verdictFixture('a.flux.test'))).toEqual({ rule: 'verdict', reason: '12 IPs in 9 ASNs across 6 countries' });
    const listed: Verdict = { ...verdictFixture('bad.test'), listed: { list: 'deny', comment: 'phishing kit, ticket 42', by: 'ops', at: 1 } };
    expect(ruleOf(listed)).toEqual({ rule: 'denylist', reason: 'phishing kit, ticket 42' });
  });
});

describe('query log from the forwarder into the store', () => {
  it('keeps a blocked query and a sampled one in the real SQLite store, with the per-minute counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-ql-store-'));
    const config = configWith((c) => {
      c.serve.querylog.sample = 1;
      c.serve.store.flushInterval = 50;
    });
    const daemon = quietDaemon(config, { factories: [storeService()], flags: { store: join(dir, 'fluxhound.db') } });
    await daemon.start();
    const fwd = new DnsForwarder(testForwarderOptions(upstream.port), daemon.context);
    await fwd.start();
    try {
      daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
      expect((await ask(fwd.port, 'www.flux.test'))?.rcode).toBe('NXDOMAIN');
      expect((await ask(fwd.port, 'fine.test'))?.rcode).toBe('NOERROR');
      const store = daemon.context.store!;
      const page = await waitFor('both entries in the store', () => {
        const p = store.queryLog({ customer: 'acme' }, 10);
        return p.entries.length === 2 ? p : undefined;
      });
      expect(page.entries.map((e) => [e.name, e.action, e.rcode, e.rule, e.domain])).toEqual([
        ['fine.test', 'pass', 'NOERROR', null, null],
        ['www.flux.test', 'nxdomain', 'NXDOMAIN', 'verdict', 'www.flux.test'],
      ]);
      const now = Date.now() / 1000;
      const points = await waitFor('the minute counted', () => {
        const p = store.stats({ since: now - 120, until: now + 60, step: 60, customer: 'acme' });
        return p.some((x) => x.queries === 2) ? p : undefined;
      });
      expect(points.find((x) => x.queries === 2)).toMatchObject({ queries: 2, blocked: 1 });
    } finally {
      await fwd.stop();
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a deny-list entry in the query log', () => {
  it("logs a name the operator's deny list blocks with rule denylist and the entry's comment", async () => {
    const config = configWith(() => undefined);
    const daemon = quietDaemon(config, { factories: [listsService], flags: { rpzFile: '/unused' }, isAllowed: liveAllowlist(config).isAllowed });
    await daemon.start();
    const fwd = new DnsForwarder(testForwarderOptions(upstream.port), daemon.context);
    await fwd.start();
    const entries: QueryLogEntry[] = [];
    daemon.context.onQuery((e) => entries.push(e));
    try {
      expect(await daemon.context.lists!.change({ op: 'add', list: 'deny', name: 'promo.shady.test', comment: 'spam campaign, ticket 9', by: 'alice', at: Date.now() / 1000 })).toBe(true);
      expect((await ask(fwd.port, 'www.promo.shady.test'))?.rcode).toBe('NXDOMAIN');
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ name: 'www.promo.shady.test', action: 'nxdomain', rcode: 'NXDOMAIN', domain: 'promo.shady.test', rule: 'denylist', reason: 'spam campaign, ticket 9', customer: 'acme' });
    } finally {
      await fwd.stop();
      await daemon.stop();
    }
  });
});
