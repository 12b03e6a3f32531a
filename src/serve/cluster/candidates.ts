/**
 * Which registered domains the judge replays: a cheap test over the
 * per-window aggregates (domain_windows) that no domain the scorer would
 * flag can fail, plus the few ways a domain with a single answer address
 * can still be flagged (an address of a flux network the judge found in an
 * earlier cycle, or one an intel feed lists; a name a feed lists).
 *
 * The test (candidateQuery): two or more distinct ASNs, or two or more
 * countries, or two or more NS names, or four or more addresses, in the
 * window. Why it misses nothing (default weights, src/detect/score.ts):
 * asns and countries add points only from 2 (their ramps start there; a
 * country's 1 is 0 points); TTL and churn count only beside 3 or more ASNs
 * (verdict.minAsnsForTiming) or a coherent flux network; ips and
 * ips_per_hour start at 4 addresses; prefixes give 1 point at 3 addresses;
 * slow flux needs several ASNs in a day; ns_names needs 3 NS names. The
 * aggregates count unknown ASNs and countries as a value too, so they never
 * count fewer than the detector. With one ASN, one country, one NS name and
 * at most 3 addresses, what is left is glue diversity (ns_addresses, ns_asns:
 * at most 25 points), CNAME targets (at most 10) and flow evidence (at most
 * 10, only beside points of the domain's own): 30 only when all three are
 * near their maximum (8 CNAME targets, 3 glue ASNs, flows) — the one
 * residual gap, named in the README. What needs no diversity at all is an
 * address shared with a flux network (network_addresses, network_share: 30
 * points with one address) or listed by a feed (intel_evidence), a glue
 * address in a flux network (ns_network_addresses) and a feed's listing of
 * the name — the lists below. Tampering findings (injected, poisoned)
 * compare answers from two networks, so they show two ASNs. The eval corpus
 * test (test/cluster-judge.test.ts) checks the rule against a full replay of the evaluation corpus.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier } from '../../store/clickhouse/schema.js';

/** Distinct ASNs, countries or NS names from which a registered domain is replayed. */
export const MIN_DIVERSITY = 2;
/** Distinct addresses from which a registered domain is replayed whatever its ASNs (ips and ips_per_hour ramp up from 4). */
export const MIN_ADDRESSES = 4;

/** The window a cycle reads: buckets from `fromBucket` (seconds) on; `sinceMs`: only domains seen after it (incremental). */
export interface CandidateWindow {
  /** First aggregate bucket (epoch seconds, a multiple of cluster.bucket); 0 = everything. */
  fromBucket: number;
  /** Newest row time (ms) the previous cycle covered: domains with nothing newer are left out; 0 = all. */
  sinceMs: number;
}

export interface CandidateDomain {
  registered: string;
  /** Distinct answer addresses and NS names in the window (uniq: exact at these sizes). */
  addresses: number;
  nameServers: number;
  /** Newest row time (ms) of the domain in the window. */
  lastMs: number;
  /** Lookups in the window: with lastMs, what tells an incremental cycle that the domain has new rows (late ones too). */
  lookups: number;
}

/** SQL of the aggregate test; exported for the README and the tests. */
export function candidateQuery(database: string, w: CandidateWindow): string {
  const db = quoteIdentifier(database);
  return `SELECT registered, countMerge(lookups) AS lookup_count, uniqArrayMerge(addresses) AS ips, uniqArrayMerge(asns) AS asn_count, uniqArrayMerge(countries) AS country_count,
      uniqArrayMerge(name_servers) AS ns, maxMerge(last_ms) AS last
    FROM ${db}.domain_windows WHERE bucket >= ${Math.floor(w.fromBucket)}
    GROUP BY registered
    HAVING (asn_count >= ${MIN_DIVERSITY} OR country_count >= ${MIN_DIVERSITY} OR ns >= ${MIN_DIVERSITY} OR ips >= ${MIN_ADDRESSES})
      AND last > ${Math.floor(w.sinceMs)}`;
}

/** The registered domains whose aggregates pass the test, streamed (one row per domain). */
export async function aggregateCandidates(client: ClickHouseClient, database: string, w: CandidateWindow): Promise<CandidateDomain[]> {
  const result = await client.query({ query: candidateQuery(database, w), format: 'JSONEachRow' });
  const rows = await result.json<{ registered: string; lookup_count: string | number; ips: string | number; ns: string | number; last: string | number }>();
  return rows.map((r) => ({ registered: r.registered, addresses: Number(r.ips), nameServers: Number(r.ns), lastMs: Number(r.last), lookups: Number(r.lookup_count) }));
}

/**
 * Registered domains whose rows since `fromMs` carry one of `addresses` as
 * an answer (flux-network addresses from the previous cycle, or feed-listed
 * ones found by `listedAddressDomains`). Sent in chunks: the list is inlined
 * (18.16 has no query parameters), each address quoted.
 */
export async function domainsWithAddresses(client: ClickHouseClient, database: string, addresses: readonly string[], fromMs: number, sinceMs: number): Promise<string[]> {
  const db = quoteIdentifier(database);
  const out = new Set<string>();
  for (let i = 0; i < addresses.length; i += ADDRESS_CHUNK) {
    const list = addresses.slice(i, i + ADDRESS_CHUNK).map(sqlString).join(',');
    const result = await client.query({
      // ARRAY JOIN + IN: the list becomes a hash set (hasAny against a constant array is a scan of it per row).
      query: `SELECT DISTINCT registered FROM ${db}.observations ARRAY JOIN addresses AS address
        WHERE ts_ms >= ${Math.floor(fromMs)} AND ts_ms > ${Math.floor(sinceMs)} AND address IN (${list})`,
      format: 'JSONEachRow',
    });
    for (const row of await result.json<{ registered: string }>()) out.add(row.registered);
  }
  return [...out];
}

/**
 * With intel feeds: the registered domains of names a feed lists, and of
 * answer addresses a feed lists, in the window. One pass over the window's
 * distinct (name, address) pairs, each asked of the feeds' index.
 */
export async function listedDomains(
  client: ClickHouseClient,
  database: string,
  fromMs: number,
  sinceMs: number,
  isListed: { name(name: string): boolean; address(address: string): boolean },
): Promise<string[]> {
  const db = quoteIdentifier(database);
  const out = new Set<string>();
  const result = await client.query({
    query: `SELECT registered, name, groupUniqArrayArray(addresses) AS addresses FROM ${db}.observations
      WHERE ts_ms >= ${Math.floor(fromMs)} AND ts_ms > ${Math.floor(sinceMs)} GROUP BY registered, name`,
    format: 'JSONEachRow',
  });
  for await (const rows of result.stream()) {
    for (const row of rows) {
      const r = row.json<{ registered: string; name: string; addresses: string[] }>();
      if (out.has(r.registered)) continue;
      if (isListed.name(r.name) || r.addresses.some((a) => isListed.address(a))) out.add(r.registered);
    }
  }
  return [...out];
}

const ADDRESS_CHUNK = 5000;

/** A ClickHouse string literal: backslash and quote escaped (the only two a quoted literal needs). */
export function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
