/**
 * A sensor's start: connect to its node, check that `cluster init` has run
 * (missing tables are a usage error: one line, exit 2), and start the
 * ClusterWriter. A node that does not answer is no reason to refuse: the
 * sensor spools until it does (a resolver's sensor starts with its resolver).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Enricher } from '../../enrich/enricher.js';
import { UsageError } from '../../model/errors.js';
import { connectCluster, failureReason, missingTables, redactedUrl } from './connect.js';
import type { ClusterSettings } from './options.js';
import { ClusterWriter, type ClusterWriterOptions } from './writer.js';

export interface Sensor {
  writer: ClusterWriter;
  client: ClickHouseClient;
  /** Null when the node answered and has the tables; else why it could not be checked (it did not answer). */
  unchecked: string | null;
}

export type SensorHooks = Pick<ClusterWriterOptions, 'onInsertSeconds' | 'onState' | 'onWritten' | 'maxMemoryBytes' | 'retryMs' | 'maxRetryMs'>;

export async function startSensor(settings: ClusterSettings, enricher: Enricher, hooks: SensorHooks = {}): Promise<Sensor> {
  // No default database: a missing one must read as "run cluster init", not as a failing node (names are qualified).
  const client = connectCluster({ url: settings.url, database: null });
  let unchecked: string | null = null;
  try {
    const missing = await missingTables(client, settings.database);
    if (missing.length > 0) {
      await client.close();
      throw new UsageError(
        `cluster: ${redactedUrl(settings.url)} lacks tables of database ${settings.database} (${missing.join(', ')}): run fluxhound cluster init --cluster URL --node-url URL ... first`,
      );
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    unchecked = failureReason(err);
  }
  let writer: ClusterWriter;
  try {
    writer = startWriter();
  } catch (err) {
    await client.close();
    throw new UsageError(`cluster: spool ${settings.spoolDir}: ${failureReason(err)}`);
  }
  return { writer, client, unchecked };

  function startWriter(): ClusterWriter {
    return ClusterWriter.start({
      client,
      database: settings.database,
      sensor: settings.node,
      enricher,
      batchRows: settings.batchRows,
      batchMs: settings.batchMs,
      spoolDir: settings.spoolDir,
      spoolBytes: settings.spoolBytes,
      ...hooks,
    });
  }
}
