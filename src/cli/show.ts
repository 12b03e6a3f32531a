/**
 * `fluxhound show NAME`: what the store knows of one name — its latest
 * verdict and why, every recorded verdict (oldest first), its passive-DNS
 * tuples, and whether an operator's allow or deny entry (or the configured
 * allowlist) covers it. Plain text, or one JSON document with --json.
 */
import { Command } from 'commander';
import { loadAllowlist } from '../act/rpz/allowlist.js';
import { loadConfig } from '../config/load.js';
import { escapeName } from '../dns/name-text.js';
import type { ListEntry } from '../model/query-log.js';
import { isoTime, type Verdict } from '../model/verdict.js';
import { covering, listName } from '../serve/lists/entry.js';
import { ClickHouseStore } from '../store/clickhouse/clickhouse-store.js';
import { redactedUrl } from '../store/clickhouse/connect.js';
import { clusterReads } from '../store/cluster-reads.js';
import { asyncStore, type AsyncStore, type DomainSighting, type PdnsTuple, type RecordedVerdict } from '../store/store.js';
import { exampleConfigPath } from './example-config.js';
import { UsageError } from './errors.js';
import type { Config } from '../config/schema.js';
import { openStore, printable, type StoreFlags } from './store-path.js';

/** Passive-DNS tuples printed at most (the newest). */
const MAX_TUPLES = 1000;

interface ShowFlags extends StoreFlags {
  json?: boolean;
  cluster?: string;
}

export interface DomainReport {
  name: string;
  /** The latest recorded verdict; null when none was recorded. */
  verdict: Verdict | null;
  history: Array<{ ts: number; verdict: Verdict['verdict']; flux: Verdict['flux']; score: number }>;
  sighting: DomainSighting | null;
  passive_dns: PdnsTuple[];
  /** The allow entry covering the name (its own or an ancestor's), the deny entry likewise; null when none. */
  allowlisted: ListEntry | null;
  denylisted: ListEntry | null;
  /** The configured allowlist (policy.allowlist, policy.allowlistFiles) covers it. */
  allowlisted_by_config: boolean;
}

export function showCommand(): Command {
  return new Command('show')
    .description("Print what the store knows of one name: latest verdict and reasons, verdict history, passive DNS, allow/deny entries")
    .argument('<name>', 'a domain name')
    .option('--store <path>', 'the store file (default: serve.store.path of the config, fluxhound.db)')
    .option('-c, --config <file>', `config (serve.store.path, the configured allowlist); see ${exampleConfigPath()}`)
    .option('--cluster <url>', 'read the verdict history, passive DNS and sighting from a ClickHouse cluster node (default: cluster.url of the config)')
    .option('--json', 'one JSON document instead of text')
    .action(async (raw: string, flags: ShowFlags) => {
      const name = listName(raw, 'allow', false);
      const config = loadConfig(flags.config, {});
      const store = await openReader(flags, config);
      let report: DomainReport;
      try {
        // With a cluster each read is a request: they go out together.
        const [history, sighting, passiveDns, allow, deny] = await Promise.all([
          store.history(name),
          store.domain(name),
          store.tuplesOf(name, MAX_TUPLES),
          store.listEntries('allow'),
          store.listEntries('deny'),
        ]);
        const latest = history.at(-1)?.verdict ?? null;
        report = {
          name,
          verdict: latest,
          history: history.map((h: RecordedVerdict) => ({ ts: h.ts, verdict: h.verdict.verdict, flux: h.verdict.flux, score: h.verdict.score })),
          sighting,
          passive_dns: passiveDns,
          allowlisted: covering(allow, name),
          denylisted: covering(deny, name),
          allowlisted_by_config: loadAllowlist(config.policy).isAllowed(name),
        };
      } finally {
        await store.close();
      }
      const known = report.verdict !== null || report.sighting !== null || report.passive_dns.length > 0 || report.allowlisted !== null || report.denylisted !== null;
      if (flags.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(known ? showText(report) : `${escapeName(name)}: nothing known in the store\n`);
      if (!known) process.exitCode = 1;
    });
}

/**
 * The store `show` reads: the SQLite file; or with a cluster (--cluster,
 * cluster.url) the cluster, beside the file when --store names one (the
 * operator's entries live there).
 */
async function openReader(flags: ShowFlags, config: Config): Promise<AsyncStore> {
  const url = flags.cluster ?? config.cluster.url;
  if (url === null) return asyncStore(openStore('show', { store: flags.store ?? config.serve.store.path ?? undefined, config: flags.config }).store);
  let cluster: ClickHouseStore;
  try {
    cluster = await ClickHouseStore.open({ url, database: config.cluster.database, cluster: config.cluster.name });
  } catch (err) {
    throw new UsageError(`show: cannot read the cluster at ${redactedUrl(url)}: ${(err as Error).message.split('\n')[0]}`);
  }
  const local = flags.store === undefined ? null : asyncStore(openStore('show', { store: flags.store, config: flags.config }).store);
  const reader = clusterReads(cluster, local);
  return { ...reader, close: async () => Promise.all([reader.close(), local?.close()]).then(() => undefined) };
}

function entryText(e: ListEntry): string {
  return `${escapeName(e.name)} (by ${printable(e.by)} at ${isoTime(e.at)}: ${printable(e.comment)})`;
}

export function showText(r: DomainReport): string {
  const lines: string[] = [escapeName(r.name)];
  const v = r.verdict;
  if (v === null) lines.push('  verdict: none recorded');
  else {
    lines.push(`  verdict: ${v.verdict}, score ${v.score}${v.flux === null ? '' : `, ${v.flux} flux`}${v.network === null ? '' : `, network ${printable(v.network)}`}`);
    lines.push(`  registered domain: ${escapeName(v.registered_domain)}`);
    lines.push(`  first seen ${v.first_seen}, last seen ${v.last_seen}`);
    if (v.reasons.length > 0) lines.push('  reasons:', ...v.reasons.map((reason) => `    - ${printable(reason)}`));
  }
  if (r.sighting !== null) lines.push(`  queried ${r.sighting.queries} times, ${isoTime(r.sighting.firstSeen)} to ${isoTime(r.sighting.lastSeen)}`);
  lines.push(`  allow entry: ${r.allowlisted === null ? 'none' : entryText(r.allowlisted)}${r.allowlisted_by_config ? ' (and the configured allowlist covers it)' : ''}`);
  lines.push(`  deny entry: ${r.denylisted === null ? 'none' : entryText(r.denylisted)}`);
  if (r.denylisted !== null && (r.allowlisted !== null || r.allowlisted_by_config)) lines.push('  (allow wins over deny: not blocked)');
  lines.push(`history (${r.history.length}, oldest first):`);
  for (const h of r.history) lines.push(`  ${isoTime(h.ts)}  ${h.verdict}  score ${h.score}${h.flux === null ? '' : `  ${h.flux}`}`);
  lines.push(`passive DNS (${r.passive_dns.length}):`);
  for (const t of r.passive_dns) {
    lines.push(`  ${escapeName(t.name)}  ${printable(t.type)}  ${printable(t.data)}  ${isoTime(t.firstSeen)} .. ${isoTime(t.lastSeen)}  x${t.count}${t.ttl === null ? '' : `  ttl ${t.ttl}`}`);
  }
  return `${lines.join('\n')}\n`;
}
