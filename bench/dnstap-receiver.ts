/**
 * The receiving side of the dnstap benchmark, in its own process as the daemon
 * would be: the real detector, enrichment and reference data behind the
 * dnstap listener on the unix socket or TCP endpoint given as argv[2]. Talks
 * to bench/dnstap.ts over IPC: 'ready' once listening, then a count of
 * observations and skips whenever asked.
 */
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { createEnricher } from '../src/enrich/index.js';
import { loadInfra } from '../src/enrich/infra/index.js';
import { Daemon } from '../src/serve/daemon.js';
import { dnstapService } from '../src/serve/dnstap/index.js';

export interface ReceiverCount {
  observations: number;
  skipped: number;
  flagEvents: number;
  rssBytes: number;
}

async function main(): Promise<void> {
  const endpoint = process.argv[2];
  if (endpoint === undefined || process.send === undefined) throw new Error('dnstap-receiver: run by bench/dnstap.ts with an endpoint');
  const log = pino({ level: 'error' }, pino.destination(2));
  const daemon = new Daemon({
    config: loadConfig(undefined, {}),
    enricher: await createEnricher({}),
    infra: loadInfra(),
    log,
    out: null,
    factories: [dnstapService],
    flags: { dnstap: [endpoint], dnstapMaxConnections: '256' },
  });
  await daemon.start();
  process.on('message', (message: string) => {
    if (message === 'count') {
      const count: ReceiverCount = { ...daemon.stats, rssBytes: process.memoryUsage().rss };
      process.send?.({ count });
    } else if (message === 'stop') {
      void daemon.stop().then(() => process.exit(0));
    }
  });
  process.send({ ready: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`dnstap-receiver: ${(error as Error).message}\n`);
  process.exit(1);
});
