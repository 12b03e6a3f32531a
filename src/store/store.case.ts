/**
 * The suite every store backend passes (as Hono runs one router suite
 * against every router): call it from the backend's test with a factory that
 * opens the same store again after close (a restart).
 */
import { describe, expect, it } from 'vitest';
import type { Exposure, FanOut } from '../model/flow.js';
import type { ListChange, QueryAction, QueryLogEntry } from '../model/query-log.js';
import type { Verdict } from '../model/verdict.js';
import { emptyBatch, type AsyncStore, type QueryLogFilter } from './store.js';

export function verdictFixture(domain: string, label: Verdict['verdict'] = 'fast-flux', score = 90): Verdict {
  return {
    domain,
    registered_domain: domain.split('.').slice(-2).join('.'),
    scope: 'name',
    verdict: label,
    flux: label === 'benign' ? null : 'single',
    score,
    reasons: ['12 IPs in 9 ASNs across 6 countries'],
    features: {} as Verdict['features'],
    contributions: [],
    first_seen: '2026-11-26T10:00:00.000Z',
    last_seen: '2026-11-26T10:05:00.000Z',
    first_flagged: '2026-11-26T10:01:00.000Z',
    lookups_to_flag: 2,
    network: 'fn-1',
    enrichment: [],
    evidence: { addresses: [], name_servers: [], ns_addresses: [] },
  };
}

/** A query-log entry with plausible defaults; `over` sets what a test cares about. */
export function queryFixture(over: Partial<QueryLogEntry> & Pick<QueryLogEntry, 'ts'>): QueryLogEntry {
  return {
    client: '192.0.2.7',
    customer: null,
    name: 'www.flux.test',
    qtype: 'A',
    action: 'nxdomain',
    rcode: 'NXDOMAIN',
    domain: 'flux.test',
    verdict: 'fast-flux',
    score: 91,
    rule: 'verdict',
    reason: '12 IPs in 9 ASNs across 6 countries',
    ...over,
  };
}

/** Every entry of a search, page after page through the cursors (pages of `size`). */
export async function allPages(store: AsyncStore, filter: QueryLogFilter, size: number): Promise<QueryLogEntry[]> {
  const out: QueryLogEntry[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await store.queryLog(filter, size, cursor);
    expect(page.entries.length).toBeLessThanOrEqual(size);
    out.push(...page.entries);
    if (page.next === null) return out;
    expect(page.entries.length).toBe(size);
    cursor = page.next;
  }
  throw new Error('paging did not end');
}

const ACTIONS: readonly QueryAction[] = ['nxdomain', 'nodata', 'drop', 'sinkhole', 'log', 'pass', 'exposed'];
const CLIENTS = ['10.1.0.5', '10.1.200.9', '10.2.0.5', '192.0.2.7', '2001:db8::1', '2001:db8:1::9', '::ffff:10.1.3.3'];
const NAMES = ['evil.test', 'a.evil.test', 'b.a.evil.test', 'notevil.test', 'evil.test.example', 'x-evil.test', 'good.example'];
const CUSTOMERS = ['acme', 'globex', null];

/** A deterministic mix over every filter's values; several entries share a timestamp (the cursor must still page them). */
function queryMix(base: number, count: number): QueryLogEntry[] {
  const out: QueryLogEntry[] = [];
  for (let i = 0; i < count; i++) {
    // Knuth's multiplicative hash: each field from other bits, so no field decides another.
    const h = Math.imul(i + 1, 2654435761) >>> 0;
    out.push(
      queryFixture({
        ts: base + Math.floor(i / 3) * 0.25,
        client: CLIENTS[h % CLIENTS.length]!,
        customer: CUSTOMERS[(h >>> 8) % CUSTOMERS.length]!,
        name: NAMES[(h >>> 14) % NAMES.length]!,
        action: ACTIONS[(h >>> 20) % ACTIONS.length]!,
      }),
    );
  }
  return out;
}

/** The oracle: the same search done plainly over the entries, newest first (ties: last written first). */
function expected(entries: readonly QueryLogEntry[], f: QueryLogFilter, inClient: (client: string) => boolean = () => true): QueryLogEntry[] {
  return entries
    .map((e, i) => [e, i] as const)
    .filter(([e]) => (f.since === undefined || e.ts >= f.since) && (f.until === undefined || e.ts < f.until))
    .filter(([e]) => f.customer === undefined || e.customer === f.customer)
    .filter(([e]) => f.name === undefined || e.name === f.name || e.name.endsWith(`.${f.name}`))
    .filter(([e]) => f.actions === undefined || f.actions.includes(e.action))
    .filter(([e]) => inClient(e.client))
    .sort(([a, i], [b, j]) => b.ts - a.ts || j - i)
    .map(([e]) => e);
}

export function storeSuite(name: string, open: () => Promise<AsyncStore>): void {
  describe(`store conformance: ${name}`, () => {
    it('keeps tuples, domains, verdict history, networks and meta across a restart', async () => {
      let store = await open();
      const batch = emptyBatch();
      batch.tuples.push({ name: 'a.flux.test', type: 'A', data: '1.2.3.4', firstSeen: 1000, lastSeen: 1010, count: 2, ttl: 30 });
      batch.domains.push({ name: 'a.flux.test', firstSeen: 1000, lastSeen: 1010, queries: 2 });
      batch.verdicts.push({ ts: 1011, verdict: verdictFixture('a.flux.test', 'suspicious', 40) });
      batch.networks.push({ id: 'fn-1', domains: 1, sample_domains: ['a.flux.test'], addresses: 9, asns: 7, countries: 5, first_seen: 'x', last_seen: 'y' });
      batch.meta.serial = '17';
      await store.write(batch);
      const second = emptyBatch();
      second.tuples.push({ name: 'a.flux.test', type: 'A', data: '1.2.3.4', firstSeen: 990, lastSeen: 1020, count: 3, ttl: 20 });
      second.domains.push({ name: 'a.flux.test', firstSeen: 1015, lastSeen: 1020, queries: 3 });
      second.verdicts.push({ ts: 1021, verdict: verdictFixture('a.flux.test', 'fast-flux', 85) });
      await store.write(second);
      await store.close();

      store = await open();
      expect((await store.recentTuples(0, 10))).toEqual([{ name: 'a.flux.test', type: 'A', data: '1.2.3.4', firstSeen: 990, lastSeen: 1020, count: 5, ttl: 20 }]);
      expect((await store.domain('a.flux.test'))).toEqual({ name: 'a.flux.test', firstSeen: 1000, lastSeen: 1021, queries: 5 });
      expect((await store.history('a.flux.test')).map((r) => [r.ts, r.verdict.verdict, r.verdict.score])).toEqual([
        [1011, 'suspicious', 40],
        [1021, 'fast-flux', 85],
      ]);
      expect((await store.flaggedSince(0)).map((r) => r.verdict.domain)).toEqual(['a.flux.test']);
      expect((await store.flaggedSince(1022))).toEqual([]);
      expect((await store.networks())[0]?.sample_domains).toEqual(['a.flux.test']);
      expect((await store.meta('serial'))).toBe('17');
      expect((await store.meta('missing'))).toBeNull();
      expect((await store.check())).toBe('ok');
      await store.close();
    });

    it('restores only domains whose latest verdict is not benign', async () => {
      const store = await open();
      const batch = emptyBatch();
      batch.verdicts.push({ ts: 2000, verdict: verdictFixture('b.flux.test') }, { ts: 2001, verdict: verdictFixture('b.flux.test', 'benign', 0) });
      batch.verdicts.push({ ts: 2002, verdict: verdictFixture('c.flux.test') });
      await store.write(batch);
      expect((await store.flaggedSince(1999)).map((r) => r.verdict.domain)).toEqual(['c.flux.test']);
      await store.close();
    });

    it('returns the newest tuples, oldest first, within the limit', async () => {
      const store = await open();
      const batch = emptyBatch();
      for (let i = 0; i < 20; i++) batch.tuples.push({ name: `n${i}.test`, type: 'A', data: `10.0.0.${i}`, firstSeen: 3000 + i, lastSeen: 3000 + i, count: 1, ttl: null });
      await store.write(batch);
      expect((await store.recentTuples(3005, 3)).map((t) => t.name)).toEqual(['n17.test', 'n18.test', 'n19.test']);
      await store.close();
    });

    it("reads one name's tuples, the most recently seen within the limit, oldest sighting first", async () => {
      const store = await open();
      const batch = emptyBatch();
      for (let i = 0; i < 5; i++) batch.tuples.push({ name: 'one.test', type: 'A', data: `10.0.1.${i}`, firstSeen: 4000 + i, lastSeen: 4100 - i, count: 1, ttl: 60 });
      batch.tuples.push({ name: 'www.one.test', type: 'A', data: '10.0.2.1', firstSeen: 4000, lastSeen: 4200, count: 1, ttl: 60 });
      await store.write(batch);
      expect((await store.tuplesOf('one.test', 3)).map((t) => t.data)).toEqual(['10.0.1.0', '10.0.1.1', '10.0.1.2']);
      expect((await store.tuplesOf('nothing.test', 3))).toEqual([]);
      await store.close();
    });

    it('sweeps rows older than the retention', async () => {
      const store = await open();
      const batch = emptyBatch();
      batch.tuples.push({ name: 'old.test', type: 'A', data: '10.1.1.1', firstSeen: 10, lastSeen: 20, count: 1, ttl: 5 });
      batch.domains.push({ name: 'old.test', firstSeen: 10, lastSeen: 20, queries: 1 });
      await store.write(batch);
      const before = await store.counts();
      expect((await store.sweep(100))).toBeGreaterThanOrEqual(2);
      const after = await store.counts();
      expect(after.tuples).toBe(before.tuples - 1);
      expect((await store.domain('old.test'))).toBeNull();
      await store.close();
    });

    it('query log: each filter alone and combined, paged through cursors, every row exactly once', async () => {
      const store = await open();
      const base = 1_800_000_000;
      const entries = queryMix(base, 420);
      const batch = emptyBatch();
      batch.queries.push(...entries.slice(0, 200));
      await store.write(batch);
      await store.write({ ...emptyBatch(), queries: entries.slice(200) });
      const range = { since: base, until: base + 1000 };
      const v4In = (prefix: string) => (c: string) => c.replace('::ffff:', '').startsWith(prefix);
      const cases: [QueryLogFilter, ((c: string) => boolean)?][] = [
        [range],
        [{ ...range, client: '10.1.0.5' }, (c) => c === '10.1.0.5'],
        [{ ...range, client: '10.1.0.0/16' }, v4In('10.1.')],
        [{ ...range, client: '10.0.0.0/8' }, v4In('10.')],
        [{ ...range, client: '2001:db8::/32' }, (c) => c.startsWith('2001:db8:')],
        [{ ...range, client: '2001:db8::/48' }, (c) => c === '2001:db8::1'],
        [{ ...range, client: '10.1.3.3' }, (c) => c === '::ffff:10.1.3.3'],
        [{ ...range, customer: 'acme' }],
        [{ ...range, customer: 'globex' }],
        [{ ...range, name: 'evil.test' }],
        [{ ...range, name: 'a.evil.test' }],
        [{ ...range, name: 'EVIL.test.' }, undefined],
        [{ ...range, actions: ['sinkhole'] }],
        [{ ...range, actions: ['nxdomain', 'drop', 'log'] }],
        [{ since: base + 10, until: base + 20 }],
        [{ ...range, customer: 'acme', name: 'evil.test', actions: ['nxdomain', 'pass'] }],
        [{ ...range, client: '10.1.0.0/16', customer: 'globex', actions: ['exposed', 'drop', 'nodata'] }, v4In('10.1.')],
        [{ since: base + 5, until: base + 30, client: '2001:db8::/32', name: 'test' }, (c) => c.startsWith('2001:db8:')],
      ];
      for (const [filter, inClient] of cases) {
        const oracleFilter = filter.name === 'EVIL.test.' ? { ...filter, name: 'evil.test' } : filter;
        const want = expected(entries, oracleFilter, inClient);
        expect(want.length, JSON.stringify(filter)).toBeGreaterThan(0);
        for (const size of [1, 7, 1000]) {
          if (size === 1 && want.length > 60) continue;
          expect((await allPages(store, filter, size)), `${JSON.stringify(filter)} in pages of ${size}`).toEqual(want);
        }
      }
      expect((await store.queryLog({ ...range, client: '198.51.100.0/24' }, 10))).toEqual({ entries: [], next: null });
      expect((await store.queryLog({ ...range, name: 'vil.test' }, 10)).entries).toEqual([]);
      await store.close();
    });

    it('query log: caps a page, refuses a garbage cursor, a filter that is no address and a range backwards', async () => {
      const store = await open();
      const base = 1_800_100_000;
      await store.write({ ...emptyBatch(), queries: Array.from({ length: 1005 }, (_, i) => queryFixture({ ts: base + i / 1000 })) });
      const range = { since: base, until: base + 10 };
      const page = await store.queryLog(range, 5000);
      expect(page.entries).toHaveLength(1000);
      expect(page.next).not.toBeNull();
      expect((await store.queryLog(range, 5000, page.next)).entries).toHaveLength(5);
      expect((await store.queryLog(range, 0)).entries).toHaveLength(1);
      for (const garbage of ['garbage!', 'Zm9vOmJhcg', "' OR 1=1 --", 'x'.repeat(10_000), Buffer.from('1e400:5').toString('base64url')]) {
        await expect(store.queryLog(range, 10, garbage)).rejects.toThrow(/cursor/);
      }
      await expect(store.queryLog({ ...range, client: 'not-an-address' }, 10)).rejects.toThrow(/client filter/);
      await expect(store.queryLog({ ...range, client: '10.0.0.0/33' }, 10)).rejects.toThrow(/client filter/);
      await expect(store.queryLog({ since: base + 10, until: base }, 10)).rejects.toThrow(/since is after until/);
      await expect(store.queryLog({ ...range, actions: ['bogus' as QueryAction] }, 10)).rejects.toThrow(/action/);
      await expect(store.queryLog(range, Number.NaN)).rejects.toThrow(/limit/);
      await store.close();
    });

    it('query log: hostile names come back exactly as written and their subtrees still match', async () => {
      const store = await open();
      const base = 1_800_200_000;
      const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(56)}.test`;
      expect(long).toHaveLength(253);
      const names = [`quote\\"it.evil.test`, 'back\\\\slash.evil.test', 'nul\\000byte.evil.test', 'dot\\046inside.evil.test', `'; drop table querylog; --.evil.test`, long, 'é\\195\\169.evil.test'];
      const entries = names.map((n, i) => queryFixture({ ts: base + i, name: n, reason: `reason with "${n}" and \u0000 inside` }));
      await store.write({ ...emptyBatch(), queries: entries });
      const range = { since: base, until: base + 100 };
      expect((await allPages(store, range, 3))).toEqual([...entries].reverse());
      expect((await store.queryLog({ ...range, name: 'evil.test' }, 100)).entries.map((e) => e.name)).toEqual(names.filter((n) => n.endsWith('.evil.test')).reverse());
      expect((await store.queryLog({ ...range, name: 'dot\\046inside.evil.test' }, 100)).entries.map((e) => e.name)).toEqual(['dot\\046inside.evil.test']);
      expect((await store.queryLog({ ...range, name: 'inside.evil.test' }, 100)).entries).toEqual([]);
      expect((await store.queryLog({ ...range, name: long }, 100)).entries.map((e) => e.name)).toEqual([long]);
      expect((await store.queryLog({ ...range, name: `'; drop table querylog; --.evil.test` }, 100)).entries).toHaveLength(1);
      expect((await store.check())).toBe('ok');
      await store.close();
    });

    it('stats: one point per step, empty steps as zeros, buckets summed, flag events in the overall series only', async () => {
      const store = await open();
      const since = 1_800_300_000 - (1_800_300_000 % 3600);
      const bucket = (minute: number, customer: string, queries: number, blocked: number, logged: number) => ({ ts: since + minute * 60, customer, queries, blocked, logged });
      await store.write({ ...emptyBatch(), stats: [bucket(0, 'acme', 10, 2, 1), bucket(1, 'acme', 5, 0, 0), bucket(0, '', 3, 1, 0), bucket(7, 'globex', 4, 4, 0)] });
      await store.write({ ...emptyBatch(), stats: [bucket(0, 'acme', 1, 1, 1)] });
      const verdicts = emptyBatch();
      verdicts.verdicts.push(
        { ts: since + 30, verdict: verdictFixture('s1.stats.test', 'suspicious', 40) },
        { ts: since + 40, verdict: verdictFixture('s1.stats.test', 'suspicious', 45) },
        { ts: since + 400, verdict: verdictFixture('s1.stats.test', 'fast-flux', 80) },
        { ts: since + 410, verdict: verdictFixture('s1.stats.test', 'suspicious', 50) },
        { ts: since + 420, verdict: verdictFixture('s2.stats.test', 'benign', 5) },
      );
      await store.write(verdicts);
      const all = await store.stats({ since, until: since + 600, step: 300 });
      expect(all).toEqual([
        { ts: since, queries: 19, blocked: 4, logged: 2, flagged: 1 },
        { ts: since + 300, queries: 4, blocked: 4, logged: 0, flagged: 1 },
      ]);
      const acme = await store.stats({ since, until: since + 180, step: 60, customer: 'acme' });
      expect(acme).toEqual([
        { ts: since, queries: 11, blocked: 3, logged: 2, flagged: 0 },
        { ts: since + 60, queries: 5, blocked: 0, logged: 0, flagged: 0 },
        { ts: since + 120, queries: 0, blocked: 0, logged: 0, flagged: 0 },
      ]);
      expect((await store.stats({ since: since + 3600, until: since + 7200, step: 3600 }))).toEqual([{ ts: since + 3600, queries: 0, blocked: 0, logged: 0, flagged: 0 }]);
      expect((await store.stats({ since, until: since, step: 60 }))).toEqual([]);
      await expect(store.stats({ since: since + 60, until: since, step: 60 })).rejects.toThrow(/since is after until/);
      await expect(store.stats({ since, until: since + 600, step: 45 })).rejects.toThrow(/step/);
      await expect(store.stats({ since: 0, until: 1e12, step: 60 })).rejects.toThrow(/points/);
      await store.close();
    });

    it('lists: add, replace and remove with an audit line each, one transaction; the version is seen by a second store on the same file', async () => {
      const store = await open();
      const other = await open();
      const v0 = await other.listsVersion();
      const change = (over: Partial<ListChange>): ListChange => ({ op: 'add', list: 'allow', name: 'cdn.lists.test', comment: 'our CDN', by: 'alice', at: 1_800_400_000, ...over });
      expect((await store.changeList(change({})))).toBe(true);
      expect((await other.listsVersion())).toBe(v0 + 1);
      expect((await store.changeList(change({ comment: 'our CDN, ticket 42', by: 'bob', at: 1_800_400_010 })))).toBe(true);
      expect((await store.changeList(change({ list: 'deny', name: 'bad.lists.test', comment: 'phishing "kit" <b>', by: 'carol', at: 1_800_400_020 })))).toBe(true);
      expect((await other.listEntries('allow')).filter((e) => e.name.endsWith('lists.test'))).toEqual([
        { list: 'allow', name: 'cdn.lists.test', comment: 'our CDN, ticket 42', by: 'bob', at: 1_800_400_010 },
      ]);
      expect((await other.listEntries('deny')).filter((e) => e.name.endsWith('lists.test'))).toEqual([
        { list: 'deny', name: 'bad.lists.test', comment: 'phishing "kit" <b>', by: 'carol', at: 1_800_400_020 },
      ]);
      const version = await other.listsVersion();
      expect(version).toBe(v0 + 3);
      expect((await store.changeList(change({ op: 'remove', name: 'absent.lists.test', at: 1_800_400_030 })))).toBe(false);
      expect((await other.listsVersion())).toBe(version);
      expect((await store.changeList(change({ op: 'remove', comment: 'CDN moved', by: 'dave', at: 1_800_400_040 })))).toBe(true);
      expect((await other.listsVersion())).toBe(version + 1);
      expect((await other.listEntries('allow')).filter((e) => e.name.endsWith('lists.test'))).toEqual([]);
      expect((await other.audit(1_800_400_000, 100))).toEqual([
        { at: 1_800_400_040, by: 'dave', action: 'allow.remove', target: 'cdn.lists.test', comment: 'CDN moved' },
        { at: 1_800_400_020, by: 'carol', action: 'deny.add', target: 'bad.lists.test', comment: 'phishing "kit" <b>' },
        { at: 1_800_400_010, by: 'bob', action: 'allow.add', target: 'cdn.lists.test', comment: 'our CDN, ticket 42' },
        { at: 1_800_400_000, by: 'alice', action: 'allow.add', target: 'cdn.lists.test', comment: 'our CDN' },
      ]);
      expect((await other.audit(1_800_400_015, 1))).toEqual([{ at: 1_800_400_040, by: 'dave', action: 'allow.remove', target: 'cdn.lists.test', comment: 'CDN moved' }]);
      await expect(store.changeList(change({ list: 'maybe' as 'allow' }))).rejects.toThrow(/list/);
      expect((await other.listsVersion())).toBe(version + 1);
      await other.close();
      await store.close();
      const reopened = await open();
      expect((await reopened.listsVersion())).toBe(version + 1);
      await reopened.close();
    });

    it('sweeps query-log rows and stats buckets older than the retention, in chunks, keeping the newer', async () => {
      const store = await open();
      const base = 1_700_000_000;
      const old = Array.from({ length: 12_345 }, (_, i) => queryFixture({ ts: base + i / 100, name: `n${i}.sweep.test` }));
      const recent = Array.from({ length: 10 }, (_, i) => queryFixture({ ts: base + 1000 + i, name: `r${i}.sweep.test` }));
      await store.write({ ...emptyBatch(), queries: [...old, ...recent], stats: [{ ts: base, customer: 'acme', queries: 1, blocked: 1, logged: 0 }, { ts: base + 1020, customer: 'acme', queries: 2, blocked: 0, logged: 0 }] });
      // The old rows, the old bucket and its minute's total over every customer.
      expect((await store.sweepQueryLog(base + 1000))).toBe(12_345 + 2);
      expect((await allPages(store, { since: base - 1, until: base + 2000 }, 1000)).map((e) => e.name)).toEqual(recent.map((e) => e.name).reverse());
      expect((await store.stats({ since: base, until: base + 1080, step: 1080, customer: 'acme' }))[0]?.queries).toBe(2);
      expect((await store.sweepQueryLog(base + 1000))).toBe(0);
      await store.close();
    });

    it('keeps flow exposures (one row per client, domain and direction) and fan-outs across a restart, swept with the query log', async () => {
      let store = await open();
      const at = (s: number): string => new Date(s * 1000).toISOString();
      const exposure = (client: string, first: number, flows: number, bypass: boolean): Exposure => ({
        record: 'exposure', client, customer: 'acme', address: '203.0.113.5', domain: 'x.flux.test', network: null,
        first: at(first), last: at(first + 10), flows, bytes: flows * 100, packets: flows, sampled: false, direction: 'outbound', bypass, reason: 'r',
      });
      const fanOut: FanOut = { record: 'fan-out', host: '192.0.2.66', customer: 'acme', distinct: 300, flux: 1, window: 300, first: at(5000), last: at(5300), flows: 500, reasons: ['r'] };
      await store.write({ ...emptyBatch(), exposures: [exposure('192.0.2.7', 5000, 1, false), exposure('192.0.2.8', 3000, 2, true)], fanOuts: [fanOut] });
      // A later increment of the same client and domain: added to the totals (1 + 4 flows), the span widened.
      await store.write({ ...emptyBatch(), exposures: [exposure('192.0.2.7', 5100, 4, false)] });
      await store.close();
      store = await open();
      expect((await store.exposures({ customer: 'acme' }, 10)).items.map((e) => [e.client, e.flows, e.first, e.last])).toEqual([
        ['192.0.2.7', 5, at(5000), at(5110)],
        ['192.0.2.8', 2, at(3000), at(3010)],
      ]);
      expect((await store.exposures({ bypass: true, domain: 'flux.test' }, 10)).items.map((e) => e.client)).toEqual(['192.0.2.8']);
      expect((await store.fanOuts({ host: '192.0.2.66' }, 10))).toEqual([fanOut]);
      expect((await store.sweepQueryLog(4000))).toBe(1);
      expect((await store.exposures({}, 10)).items.map((e) => e.client)).toEqual(['192.0.2.7']);
      await store.close();
    });
  });
}
