/**
 * `fluxhound report`: one customer's transparency report from the store
 * (or, with --cluster, from the cluster every node writes its query log to) —
 * each block in plain words, its evidence and the verdict or deny entry
 * behind it — as HTML, CSV or JSON, on stdout or into a file (written
 * atomically). The same report the API serves and serve.reports writes.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { CustomerMap } from '../act/customers.js';
import { loadConfig } from '../config/load.js';
import { buildReport, parseReportTime, renderReport, REPORT_FORMATS, type ReportFormat } from '../serve/reports/index.js';
import { UsageError } from './errors.js';
import { exampleConfigPath } from './example-config.js';
import { openStoreOrCluster } from './store-or-cluster.js';

interface ReportFlags {
  customer: string;
  since: string;
  until?: string;
  format: string;
  out?: string;
  store?: string;
  cluster?: string;
  config?: string;
}

export function reportCommand(): Command {
  return new Command('report')
    .description("Write a customer's transparency report from the store: each block in plain words, its evidence and the verdict or deny entry behind it")
    .requiredOption('--customer <id>', 'customer id (config customers)')
    .requiredOption('--since <date>', "start: ISO 8601 date or time (UTC unless an offset is given), or a time ago: '24h', '7d'")
    .option('--until <date>', 'end (exclusive), same forms; default now')
    .option('--format <format>', `${REPORT_FORMATS.join(', ')}`, 'html')
    .option('--out <file>', 'write here (atomically) instead of stdout')
    .option('--store <path>', 'the store to read (default serve.store.path of the config, fluxhound.db)')
    .option('--cluster <url>', "read the fleet's query log, counts, verdict history and lists from a ClickHouse cluster node (default: cluster.url of the config, unless --store is given)")
    .option('-c, --config <file>', `config naming the customers and the store; every setting documented in ${exampleConfigPath()}`)
    .action(async (flags: ReportFlags) => {
      await runReport(flags);
    });
}

async function runReport(flags: ReportFlags): Promise<void> {
  if (!(REPORT_FORMATS as readonly string[]).includes(flags.format)) {
    throw new UsageError(`report: --format takes one of ${REPORT_FORMATS.join(', ')}, not '${flags.format.slice(0, 40)}'`);
  }
  const config = loadConfig(flags.config, {});
  const customer = new CustomerMap(config.customers).get(flags.customer);
  if (customer === null) {
    const known = config.customers.map((c) => c.id).join(', ');
    throw new UsageError(`report: no customer '${flags.customer.slice(0, 64)}' in the config (${known === '' ? 'it names none: give -c CONFIG' : `customers: ${known}`})`);
  }
  const now = new Date();
  const since = parseReportTime(flags.since, now, 'report: --since');
  const until = flags.until === undefined ? now.getTime() / 1000 : parseReportTime(flags.until, now, 'report: --until');
  if (since >= until) throw new UsageError('report: --since must come before --until');
  // Never create an empty store where the operator mistyped a path (openStore refuses a missing file).
  const store = await openStoreOrCluster('report', flags, config);
  let text: string;
  try {
    text = renderReport(await buildReport(store, customer, { since, until }, now), flags.format as ReportFormat).text;
  } finally {
    await store.close();
  }
  if (flags.out === undefined) {
    process.stdout.write(text);
    return;
  }
  const temp = `${flags.out}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, flags.out);
  } catch (err) {
    await rm(temp, { force: true });
    throw new UsageError(`report: cannot write ${flags.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
