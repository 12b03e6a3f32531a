/**
 * The cluster judge at scale (bench only, never in tests): 10M observations
 * (FLUXHOUND_BENCH_JUDGE_ROWS) of a web-like day in a two-shard cluster,
 * generated inside ClickHouse (INSERT ... SELECT FROM numbers()): 200k
 * registered domains with a skewed popularity, most with one address,
 * one in ten dual-stack or round-robin in one network, and a 1% slice of
 * 200 flux domains answering bots of many residential ASNs (real announced
 * ranges, so the replay's enricher sees their diversity). Figures:
 * - the judge's cycle time over the last hour of the day (full, then
 *   incremental), with candidates and rows replayed;
 * - detection latency: a new flux name's rows land (as a sensor writes
 *   them) → a judge cycling every second flags it → a built
 *   `fluxhound serve --cluster` (another node, following every 200 ms)
 *   answers NXDOMAIN at its forwarder.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import * as packet from 'dns-packet';
import { defaultConfig } from '../src/config/schema.js';
import { AddressSpace } from '../src/corpus/address-space.js';
import { EYEBALL_ASNS } from '../src/corpus/asns.js';
import { Prng } from '../src/corpus/prng.js';
import { createEnricher } from '../src/enrich/index.js';
import type { Enricher } from '../src/enrich/enricher.js';
import { loadInfra } from '../src/enrich/infra/index.js';
import { emptyObservation } from '../src/model/observation.js';
import { ClusterJudge } from '../src/serve/cluster/judge.js';
import { initCluster } from '../src/store/clickhouse/init.js';
import { observationRow } from '../src/store/clickhouse/rows.js';
import { sqlString } from '../src/serve/cluster/candidates.js';
import { startClickHouseCluster } from '../test/support/clickhouse.js';
import { requireBuilt, spawnFluxhound } from '../test/support/cli.js';
import { freePort, waitFor } from '../test/support/daemon.js';
import { queryRcode } from '../test/support/dns-query.js';

const DAY_START_MS = 1_764_547_200_000; // 2025-12-01T00:00:00Z
const DOMAINS = 200_000;
const FLUX_DOMAINS = 200;

export async function benchClusterJudge(log: (line: string) => void): Promise<{ lines: string[]; failures: string[] }> {
  const rowsWanted = Number(process.env.FLUXHOUND_BENCH_JUDGE_ROWS ?? 10_000_000);
  const lines: string[] = [];
  const failures: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
    log(line);
  };
  const config = defaultConfig();
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-judge-'));
  const cluster = await startClickHouseCluster({ shards: 2 });
  const url = cluster.shards[0]!.url;
  const { database, name, bucket } = config.cluster;
  const client = createClient({ url, request_timeout: 1_800_000, clickhouse_settings: { insert_distributed_sync: 1 } });
  try {
    await initCluster({ urls: cluster.shards.map((s) => s.url), database, cluster: name, bucketSeconds: bucket });
    const enricher = await createEnricher({});
    const pool = botPool(enricher, 2000);
    let t = Date.now();
    await client.command({ query: generateDay(database, rowsWanted, pool) });
    const [count] = await (await client.query({ query: `SELECT count() AS n FROM ${database}.observations`, format: 'JSONEachRow' })).json<{ n: string }>();
    say(`cluster judge: ${Number(count?.n).toLocaleString('en')} observations generated in a 2-shard cluster in ${((Date.now() - t) / 1000).toFixed(1)} s (INSERT ... SELECT FROM numbers())`);

    const judge = new ClusterJudge({ client, database, node: 'bench-judge', config, enricher, infra: loadInfra(), rowBudget: 2_000_000 });
    const full = await judge.cycle();
    say(
      `cluster judge: full cycle over the last ${config.window} s of data time: ${full.seconds.toFixed(2)} s ` +
        `(candidates ${full.phases.candidates.toFixed(2)} s, fetch ${full.phases.fetch.toFixed(2)} s, replay ${full.phases.replay.toFixed(2)} s, write ${full.phases.write.toFixed(2)} s); ` +
        `${full.candidates} candidate domains, ${full.rows} rows replayed, ${[...full.verdicts.values()].filter((v) => v.verdict === 'fast-flux').length} fast-flux, ${full.written} verdict rows written`,
    );
    const fluxFlagged = [...full.verdicts.values()].filter((v) => v.verdict === 'fast-flux' && v.registered_domain.startsWith('flux')).length;
    if (fluxFlagged === 0) failures.push('cluster judge: none of the generated flux domains was flagged');
    const incremental = await judge.cycle();
    say(`cluster judge: incremental cycle (no new rows): ${incremental.seconds.toFixed(2)} s, ${incremental.candidates} candidates, ${incremental.rows} rows replayed`);

    // Detection latency: another node (a built daemon) follows the verdict table; the judge cycles every second.
    // --no-store: a store file in the working directory would restore flags of an earlier run (the name blocked before its rows exist).
    requireBuilt();
    const dns = await freePort();
    // An upstream that answers every query NOERROR (no records): NXDOMAIN at the follower can only be its block.
    const upstreamSocket = await emptyUpstream();
    const upstream = upstreamSocket.address().port;
    const cfg = join(dir, 'follower.yaml');
    writeFileSync(cfg, `cluster:\n  followMs: 200\n  spoolDir: ${join(dir, 'spool')}\n`);
    const daemon = spawnFluxhound(['serve', '-c', cfg, '--no-store', '--cluster', url, '--node', 'follower', '--judge', 'never', '--log-level', 'error', '--dns', `127.0.0.1:${dns}`, '--upstream', `127.0.0.1:${upstream}`]);
    try {
      const newName = 'www.quiet-meadow-442.com';
      let last = -1;
      await waitFor('the follower forwarder', async () => (last = await queryRcode(dns, 'www.bench-warmup.com', { timeoutMs: 300 }).catch(() => -1)) === 0, 30_000, 200).catch((err: Error) => {
        throw new Error(`${err.message} (last rcode ${last}; daemon: ${daemon.stderr().slice(-300)})`);
      });
      const before = await queryRcode(dns, newName, { timeoutMs: 1000 });
      if (before !== 0) failures.push(`cluster judge: ${newName} answered rcode ${before} before its rows existed`);
      let stop = false;
      const cycles = (async () => {
        while (!stop) {
          const started = Date.now();
          await judge.cycle();
          await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
        }
      })();
      const began = Date.now();
      await client.insert({ table: `${database}.observations`, values: lateFlux(enricher, newName, DAY_START_MS + 86_400_000 - 600_000, pool), format: 'JSONEachRow' });
      const landed = Date.now();
      await waitFor('the follower blocking the new flux name', async () => (await queryRcode(dns, newName, { timeoutMs: 300 }).catch(() => -1)) === 3, 120_000, 50);
      const blocked = Date.now();
      stop = true;
      await cycles;
      say(`cluster judge: detection latency (sensor rows inserted → blocked at another node's forwarder): ${((blocked - began) / 1000).toFixed(2)} s (insert ${((landed - began) / 1000).toFixed(2)} s; judge cycle every 1 s, follow every 200 ms)`);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      upstreamSocket.close();
    }
  } catch (err) {
    failures.push(`cluster judge: ${(err as Error).message}`);
  } finally {
    await client.close();
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { lines, failures };
}

async function emptyUpstream(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  socket.on('message', (raw, from) => {
    try {
      const q = packet.decode(raw);
      socket.send(packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions ?? [], answers: [] }), from.port, from.address);
    } catch {
      // not a query: no answer
    }
  });
  return socket;
}

interface BotPool {
  addresses: string[];
  asns: number[];
  countries: string[];
}

/** Bots of the residential ASNs, with the ASN and country the enricher gives them (as a sensor's rows carry). */
function botPool(enricher: Enricher, size: number): BotPool {
  const space = AddressSpace.load(EYEBALL_ASNS);
  const rng = new Prng(20261205);
  const asns = space.knownV4(EYEBALL_ASNS);
  const pool: BotPool = { addresses: [], asns: [], countries: [] };
  for (let i = 0; i < size; i++) {
    const address = space.pickV4Text(asns[i % asns.length]!, rng);
    const facts = enricher.lookup(address);
    pool.addresses.push(address);
    pool.asns.push(facts?.asn ?? 0);
    pool.countries.push(facts?.country ?? '');
  }
  return pool;
}

/**
 * One INSERT ... SELECT: row n at time start + n/N of a day; 1% flux (200
 * domains, two bots each, TTL 30), the rest web-like (a skewed choice of
 * 200k domains, TTL 300; one in ten with two addresses in one network).
 * The observation JSON is built in SQL, in the shape the row codec writes.
 */
function generateDay(database: string, rows: number, pool: BotPool): string {
  const list = (values: Array<string | number>, quote: boolean) => `[${values.map((v) => (quote ? sqlString(String(v)) : String(v))).join(',')}]`;
  const n = pool.addresses.length;
  return `INSERT INTO ${database}.observations (ts_ms, sensor, batch, seq, name, registered, qtype, rcode, client, customer, addresses, prefixes, asns, countries, ttls, name_servers, targets, observation)
    SELECT ts_ms, sensor, batch, seq, name, registered, 'A', 'NOERROR', client, '', addresses, arrayMap(a -> arrayStringConcat(arraySlice(splitByChar('.', a), 1, 2), '.'), addresses) AS prefixes,
      asns, countries, arrayMap(a -> ttl, addresses) AS ttls, [], [],
      concat('{"ts":', toString(ts_ms / 1000), ',"qname":"', name, '","qtype":"A","rcode":"NOERROR","client":"', client, '","answers":[',
        arrayStringConcat(arrayMap(a -> concat('{"name":"', name, '","type":"A","ttl":', toString(ttl), ',"data":"', a, '"}'), addresses), ','),
        '],"authority":[],"additional":[],"count":1,"firstSeen":', toString(ts_ms / 1000), '}') AS observation
    FROM (
      SELECT number, ${DAY_START_MS} + intDiv(number * 86400000, ${rows}) AS ts_ms,
        concat('bench-', toString(number % 2)) AS sensor, intDiv(number, 20000) AS batch, toUInt32(number % 20000) AS seq,
        cityHash64(number, 1) % 100 = 0 AS flux,
        toUInt64(pow((cityHash64(number, 2) % 1000000) / 1000000, 3) * ${DOMAINS}) AS d,
        cityHash64(number, 3) % ${FLUX_DOMAINS} AS f,
        if(flux, concat('flux', toString(f), '.xyz'), concat('site', toString(d), '.com')) AS registered,
        concat('www.', registered) AS name,
        concat('10.', toString(cityHash64(number, 4) % 250), '.0.1') AS client,
        if(flux, 30, 300) AS ttl,
        ${list(pool.addresses, true)} AS bots, ${list(pool.asns, false)} AS bot_asns, ${list(pool.countries, true)} AS bot_countries,
        (cityHash64(number, 5) % ${n}) + 1 AS b1, (cityHash64(number, 6) % ${n}) + 1 AS b2,
        if(flux, [bots[b1], bots[b2]],
          if(d % 10 = 0, [IPv4NumToString(toUInt32(cityHash64(d) % 4000000000)), IPv4NumToString(toUInt32(cityHash64(d) % 4000000000 + 1))], [IPv4NumToString(toUInt32(cityHash64(d) % 4000000000))])) AS addresses,
        if(flux, [bot_asns[b1], bot_asns[b2]], arrayMap(a -> toUInt32(64512 + d % 1000), addresses)) AS asns,
        if(flux, [bot_countries[b1], bot_countries[b2]], arrayMap(a -> 'US', addresses)) AS countries
      FROM numbers(${rows})
    )`;
}

/** A new flux name's lookups (60 in the last 10 minutes of the day), as rows a sensor writes. */
function lateFlux(enricher: Enricher, name: string, startMs: number, pool: BotPool): ReturnType<typeof observationRow>[] {
  const rng = new Prng(99);
  const out: ReturnType<typeof observationRow>[] = [];
  for (let i = 0; i < 60; i++) {
    const o = emptyObservation((startMs + i * 10_000) / 1000, name, 'A');
    o.rcode = 'NOERROR';
    for (let k = 0; k < 2; k++) o.answers.push({ name, type: 'A', ttl: 30, data: pool.addresses[rng.int(pool.addresses.length)]! });
    out.push(observationRow(o, enricher, { sensor: 'late-sensor', batch: 1, seq: i }));
  }
  return out;
}

// `node dist/bench/cluster-judge.js` (after npm run build): this part alone.
if (process.argv[1]?.endsWith('cluster-judge.js')) {
  const { failures } = await benchClusterJudge((line) => process.stdout.write(`${line}\n`));
  for (const f of failures) process.stderr.write(`FAIL ${f}\n`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}
