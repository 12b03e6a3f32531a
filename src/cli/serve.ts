/**
 * `fluxhound serve`: the long-running daemon. Common flags live here; every
 * service (dnstap listener, DNS forwarder, RPZ server, block page, metrics)
 * adds its own through its factory in serve/registry.ts. With no service flag the
 * command refuses to start rather than sit idle.
 */
import { Command } from 'commander';
import { pino } from 'pino';
import { liveAllowlist } from '../act/rpz/allowlist.js';
import { loadConfig } from '../config/load.js';
import { createEnricher } from '../enrich/index.js';
import { loadInfra } from '../enrich/infra/index.js';
import { isRegistrable } from '../detect/registered-domain.js';
import { withWarninglistFiles } from '../intel/warninglist/index.js';
import { intelFeedsOf } from '../intel/feeds/spec.js';
import { serviceFactories } from '../serve/registry.js';
import { Daemon, runUntilSignalled } from '../serve/daemon.js';
import { UsageError } from './errors.js';
import { exampleConfigPath } from './example-config.js';
import { parseWorkers, serveWorkers } from './workers.js';

interface ServeFlags {
  config?: string;
  asnMmdb?: string;
  countryMmdb?: string;
  reference: boolean;
  logLevel: string;
  flags: boolean;
  workers?: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function serveCommand(): Command {
  const command = new Command('serve')
    .description('Run the daemon: take live DNS (dnstap, forwarder), flag fast flux as it happens, and block it')
    .option('-c, --config <file>', `detection config (YAML or JSON); every setting documented in ${exampleConfigPath()}`)
    .option('--asn-mmdb <file>', 'use a MaxMind GeoLite2-ASN .mmdb instead of the bundled ASN data')
    .option('--country-mmdb <file>', 'use a MaxMind GeoLite2-Country or City .mmdb instead of the bundled country data')
    .option('--no-reference', 'ignore the reference lists in data/reference (CDNs, clouds, pools, dynamic DNS, top sites)')
    .option('--log-level <level>', `log level on stderr (${LOG_LEVELS.join(', ')})`, 'info')
    .option('--no-flags', 'do not print flag events as NDJSON on stdout')
    .option('--workers <n>', "detector worker threads: N (2..64: one partition of the registered domains each) or 1; 'auto' is 1 for serve (config: workers)");
  for (const factory of serviceFactories) factory.addOptions(command);
  return command.action(async (flags: ServeFlags & Record<string, unknown>) => {
    await runServe(flags);
  });
}

async function runServe(flags: ServeFlags & Record<string, unknown>): Promise<void> {
  if (!LOG_LEVELS.includes(flags.logLevel)) {
    throw new UsageError(`serve: --log-level takes one of ${LOG_LEVELS.join(', ')}, not '${flags.logLevel}'`);
  }
  const log = pino({ name: 'fluxhound', level: flags.logLevel }, pino.destination(2));
  const config = loadConfig(flags.config, {});
  const workers = serveWorkers(flags.workers !== undefined ? parseWorkers('serve', flags.workers) : config.workers);
  const enricher = await createEnricher({ asnMmdb: flags.asnMmdb, countryMmdb: flags.countryMmdb });
  // Warninglist feeds (intel.feeds kind warninglist) extend the reference lists, with or without data/reference.
  // --intel ...,kind=warninglist counts too (the intel service takes the flux feeds of the same list).
  const feeds = intelFeedsOf(config.intel.feeds, Array.isArray(flags.intel) ? (flags.intel as string[]) : []);
  const infra = withWarninglistFiles(flags.reference ? loadInfra() : null, { ...config.intel, feeds }, { isRegistrable });
  const daemon = new Daemon({
    config,
    enricher,
    infra,
    log,
    out: flags.flags ? process.stdout : null,
    factories: serviceFactories,
    flags,
    configPath: flags.config,
    // One allowlist for every part of the daemon; the rpz-file, ip-blocklist and block-page services reload it on SIGHUP.
    isAllowed: liveAllowlist(config).isAllowed,
    // Flows come only from the collector and followed flow logs; without them the DNS is not remembered for flows.
    flowsFromServicesOnly: true,
    // The workers rebuild the enricher and reference lists from the same flags (tables cannot cross threads).
    workers: {
      count: workers.count,
      note: workers.note,
      recipe: {
        config,
        asnMmdb: flags.asnMmdb,
        countryMmdb: flags.countryMmdb,
        reference: flags.reference,
        intelSpecs: Array.isArray(flags.intel) ? (flags.intel as string[]) : [],
        baseline: null,
        reportBenign: false,
      },
    },
  });
  if (daemon.services.length === 0) {
    throw new UsageError(`serve: nothing to serve; give at least one of the service flags (see fluxhound serve --help)`);
  }
  try {
    await runUntilSignalled(daemon, log);
  } catch (err) {
    throw new UsageError(`serve: ${(err as Error).message}`);
  }
}
