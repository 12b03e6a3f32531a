/**
 * Flux spread over two sensors, end to end with the built CLI: two
 * `fluxhound serve --cluster` daemons, each a forwarder whose upstream
 * answers one half of a flux name's bots (two ASNs each), write what they
 * see to a two-shard ClickHouse cluster (helper sensor's writer). Neither
 * daemon flags the name on its own traffic; `fluxhound cluster judge
 * --once` flags it from both halves, and both daemons, following the
 * verdict table, answer NXDOMAIN for it. Each daemon also writes its query
 * log and per-minute counts to the cluster: either daemon's API reads both
 * daemons' queries, and the lists live in the cluster — an allow entry made
 * through one daemon's API unblocks the name at both forwarders.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { AddressSpace } from '../src/corpus/address-space.js';
import { EYEBALL_ASNS } from '../src/corpus/asns.js';
import { Prng } from '../src/corpus/prng.js';
import { createEnricher } from '../src/enrich/index.js';
import { initCluster } from '../src/store/clickhouse/init.js';
import { clickhouseServer, startClickHouseCluster, type ClickHouseCluster } from './support/clickhouse.js';
import { fluxhound, requireBuilt, spawnFluxhound, type RunningDaemon } from './support/cli.js';
import { freePort, waitFor } from './support/daemon.js';
import { queryRcode, queryUdp } from './support/dns-query.js';
import { fourCountries, SPREAD_NAME } from './support/spread-flux.js';
import { fetchWithToken, writeTokenFile } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-block-'));

/** An upstream that answers every A query with one bot of each of its two ASNs (TTL 0: never cached). */
async function halfUpstream(pools: string[][], seed: number): Promise<{ port: number; socket: Socket }> {
  const rng = new Prng(seed);
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  socket.on('message', (raw, from) => {
    let q: packet.Packet;
    try {
      q = packet.decode(raw);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (question === undefined) return;
    const answers = question.type === 'A' ? pools.map((pool) => ({ type: 'A' as const, name: question.name, ttl: 0, data: pool[rng.int(pool.length)]! })) : [];
    socket.send(packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: [question], answers }), from.port, from.address);
  });
  return { port: socket.address().port, socket };
}

describe.skipIf(clickhouseServer.path === null)('flux spread over two serve --cluster daemons, blocked by both once judged', () => {
  let cluster: ClickHouseCluster;
  const daemons: RunningDaemon[] = [];
  const upstreams: Socket[] = [];
  beforeAll(async () => {
    requireBuilt();
    cluster = await startClickHouseCluster({ shards: 2 });
    const c = defaultConfig().cluster;
    await initCluster({ urls: cluster.shards.map((s) => s.url), database: c.database, cluster: c.name, bucketSeconds: c.bucket });
  }, 90_000);
  afterAll(async () => {
    for (const d of daemons) d.child.kill('SIGTERM');
    await Promise.all(daemons.map((d) => d.exited));
    for (const u of upstreams) u.close();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('neither daemon flags its half; the judge flags the union; both forwarders answer NXDOMAIN', async () => {
    const enricher = await createEnricher({});
    const space = AddressSpace.load(EYEBALL_ASNS);
    const rng = new Prng(20261205);
    const asns = fourCountries(enricher, space, rng);
    const pools = asns.map((asn) => Array.from({ length: 4 }, () => space.pickV4Text(asn, rng)));
    const url = cluster.shards[0]!.url;
    const forwarders: number[] = [];
    const apis: number[] = [];
    const tokens = writeTokenFile(dir);
    for (const [i, node] of ['sensor-a', 'sensor-b'].entries()) {
      const upstream = await halfUpstream([pools[i * 2]!, pools[i * 2 + 1]!], 7 + i);
      upstreams.push(upstream.socket);
      const config = join(dir, `${node}.yaml`);
      // Every query logged (sample 1), so each daemon's own lookups are in the fleet's log.
      writeFileSync(config, `cluster:\n  batchMs: 100\n  followMs: 200\n  spoolDir: ${join(dir, `spool-${node}`)}\nserve:\n  querylog:\n    sample: 1\n`);
      const dns = await freePort();
      forwarders.push(dns);
      const http = await freePort();
      apis.push(http);
      daemons.push(
        spawnFluxhound([
          'serve', '-c', config, '--cluster', url, '--node', node, '--judge', 'never', '--log-level', 'warn',
          '--dns', `127.0.0.1:${dns}`, '--upstream', `127.0.0.1:${upstream.port}`, '--store', join(dir, `${node}.db`),
          '--http', `127.0.0.1:${http}`, '--api-tokens', tokens.file,
        ]),
      );
    }
    for (const port of forwarders) await waitFor('the forwarder answering', async () => (await queryRcode(port, 'warm-up.example.com').catch(() => -1)) === 0, 30_000, 200);

    // 60 lookups, alternating between the two forwarders: each daemon sees one half (two ASNs, two countries).
    for (let i = 0; i < 60; i++) {
      const answer = await queryUdp(forwarders[i % 2]!, SPREAD_NAME);
      expect(answer.answers?.length).toBe(2);
    }
    const client = createClient({ url, database: 'fluxhound' });
    await waitFor('both sensors\' rows in the cluster', async () => {
      const [row] = await (await client.query({ query: `SELECT uniqExact(sensor) AS sensors, count() AS n FROM observations WHERE name = '${SPREAD_NAME}'`, format: 'JSONEachRow' })).json<{ sensors: string; n: string }>();
      return Number(row?.sensors) === 2 && Number(row?.n) >= 60;
    }, 30_000, 200);
    await client.close();
    // Neither daemon flagged the name on its own half, and neither blocks it yet.
    for (const d of daemons) expect(d.events().filter((e) => e.domain === SPREAD_NAME)).toEqual([]);
    for (const port of forwarders) expect(await queryRcode(port, SPREAD_NAME)).toBe(0);

    const judged = await fluxhound(['cluster', 'judge', '--once', '--json', '--cluster', url, '--node', 'judge-1']);
    expect(judged.code).toBe(0);
    const verdict = judged.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { domain: string; verdict: string }).find((v) => v.domain === SPREAD_NAME);
    expect(verdict?.verdict).toBe('fast-flux');
    expect(judged.stderr).toMatch(/verdict rows written/);

    // Both followers apply it: both forwarders block the name (NXDOMAIN, policy.fastFlux).
    for (const port of forwarders) await waitFor('the forwarder blocking the judged name', async () => (await queryRcode(port, SPREAD_NAME)) === 3, 20_000, 100);
    for (const d of daemons) expect(d.events().filter((e) => e.domain === SPREAD_NAME).map((e) => e.verdict)).toContain('fast-flux');

    // The fleet's query log: each daemon asked a name of its own (AAAA: the upstreams answer A with the flux network's
    // bots, which the forwarders now block); either API reads both, and the blocked lookups of both.
    for (const [i, port] of forwarders.entries()) expect(((await queryUdp(port, `only-${i}.fleet-log.org`, { type: 'AAAA' })).flags ?? -1) & 15).toBe(0);
    const api = (i: number, path: string, init: RequestInit = {}) => fetchWithToken(`http://127.0.0.1:${apis[i]!}${path}`, init.method === undefined ? tokens.read : tokens.admin, init);
    for (const i of [0, 1]) {
      const names = await waitFor(`daemon ${i}'s API reading both daemons' queries`, async () => {
        const page = (await (await api(i, '/api/v1/querylog?limit=1000')).json()) as { items: { name: string; action: string }[] };
        const seen = new Set(page.items.map((e) => e.name));
        return seen.has('only-0.fleet-log.org') && seen.has('only-1.fleet-log.org') ? page.items : undefined;
      }, 20_000, 200);
      expect(names.filter((e) => e.name === SPREAD_NAME && e.action === 'nxdomain').length).toBeGreaterThanOrEqual(2);
    }
    // Per-minute counts of both daemons: every lookup above (62 at least, warm-ups aside) in daemon 1's series.
    await waitFor('the fleet\'s counts in daemon 1\'s stats', async () => {
      const stats = (await (await api(1, '/api/v1/stats?step=3600')).json()) as { points: { queries: number; blocked: number }[] };
      const queries = stats.points.reduce((n, p) => n + p.queries, 0);
      const blocked = stats.points.reduce((n, p) => n + p.blocked, 0);
      return queries >= 64 && blocked >= 2;
    }, 30_000, 500);

    // The lists live in the cluster: an allow entry made through daemon 0 unblocks the name at both forwarders.
    const added = await api(0, '/api/v1/allowlist', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: SPREAD_NAME, comment: 'false positive, ticket 18' }) });
    expect(added.status).toBe(201);
    for (const port of forwarders) await waitFor('the forwarder answering the allowed name', async () => (await queryRcode(port, SPREAD_NAME)) === 0, 20_000, 100);
    const listed = (await (await api(1, '/api/v1/allowlist')).json()) as { items: { name: string; by: string }[] };
    expect(listed.items.map((e) => [e.name, e.by])).toEqual([[SPREAD_NAME, 'admin']]);
    const audit = (await (await api(1, '/api/v1/audit')).json()) as { items: { action: string; target: string }[] };
    expect(audit.items.map((a) => `${a.action} ${a.target}`)).toEqual([`allow.add ${SPREAD_NAME}`]);
    // Removed through daemon 1: the cluster's verdict blocks again at both (neither daemon's own detector flags the name).
    const removed = await api(1, `/api/v1/allowlist/${SPREAD_NAME}`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ comment: 'it is flux after all' }) });
    expect(removed.status).toBe(200);
    for (const port of forwarders) await waitFor('the forwarder blocking the name again', async () => (await queryRcode(port, SPREAD_NAME)) === 3, 20_000, 100);
  }, 180_000);
});
