import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.js';
import type { Enricher } from '../../enrich/enricher.js';
import { emptyObservation } from '../../model/observation.js';
import { connectCluster, redactedUrl } from './connect.js';
import { clusterSettings } from './options.js';
import { ClusterWriter } from './writer.js';

// Rows need no ASN data here; the proof test (test/cluster-spool.test.ts) runs the bundled data against real shards.
const enricher = { sources: [], lookup: () => null } as unknown as Enricher;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function observation(i: number) {
  const o = emptyObservation(1_700_000_000 + i, `www.d${i % 50}.example.com`, 'A');
  o.answers = [{ name: o.qname, type: 'A', data: `192.0.2.${i % 250}`, ttl: 60 }];
  return o;
}

/** A writer whose cluster does not answer (nothing listens on port 1): every batch ends in the spool. */
function offlineWriter(extra: { spoolBytes?: number; maxMemoryBytes?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-writer-'));
  dirs.push(dir);
  return ClusterWriter.start({
    client: connectCluster({ url: 'http://127.0.0.1:1', database: null, requestTimeoutMs: 2000 }),
    database: 'fluxhound',
    sensor: 's1',
    enricher,
    batchRows: 100,
    batchMs: 10_000,
    spoolDir: dir,
    spoolBytes: extra.spoolBytes ?? 1 << 24,
    maxMemoryBytes: extra.maxMemoryBytes,
    retryMs: 20,
  });
}

describe('ClusterWriter without a cluster', () => {
  it('spools every batch while inserts fail and accounts for every row', async () => {
    const writer = offlineWriter();
    for (let i = 0; i < 1050; i++) writer.observe(observation(i));
    const left = await writer.close();
    expect(left).toEqual({ rowsSpooled: 1050, batchesSpooled: 11 });
    expect(writer.stats).toMatchObject({ observed: 1050, rowsWritten: 0, droppedRows: 0, spoolDroppedRows: 0 });
    expect(writer.stats.insertFailures).toBeGreaterThan(0);
    expect(writer.state()).toMatchObject({ up: false, pendingRows: 0, spoolBatches: 11 });
    expect(writer.state().lastError).toMatch(/ECONNREFUSED/);
    // Observations after close are not taken.
    writer.observe(observation(0));
    expect(writer.stats.observed).toBe(1050);
  });

  it('keeps memory bounded: a burst past memory and disk drops its newest batches, a full spool its oldest, all counted', async () => {
    const writer = offlineWriter({ maxMemoryBytes: 20_000, spoolBytes: 200_000 });
    // At most: the cap waiting, the cap (plus the batch that crossed it) waiting for the disk, and the batch being filled.
    const batchBytes = 100 * 600;
    let most = 0;
    // A burst in one turn of the event loop: the disk cannot take any of it meanwhile.
    for (let i = 0; i < 3000; i++) {
      writer.observe(observation(i));
      most = Math.max(most, writer.state().pendingBytes);
    }
    expect(most).toBeLessThanOrEqual(2 * 20_000 + 2 * batchBytes);
    expect(writer.stats.droppedBatches).toBeGreaterThan(0);
    // Then paced, a batch at a time: everything reaches the spool, which drops its oldest to stay under its cap.
    for (let i = 3000; i < 6000; i++) {
      writer.observe(observation(i));
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const left = await writer.close();
    const s = writer.stats;
    expect(writer.state().spoolBytes).toBeLessThanOrEqual(200_000);
    expect(s.spoolDroppedBatches).toBeGreaterThan(0);
    // Every row is in the spool or counted as dropped.
    expect(left.rowsSpooled + s.droppedRows + s.spoolDroppedRows).toBe(6000);
  });
});

describe('cluster settings', () => {
  it('lays --cluster and --node over the config, with the spool beside the given directory', () => {
    const config = defaultConfig();
    expect(clusterSettings(config, {}, '/var/lib/fluxhound')).toBeNull();
    const s = clusterSettings(config, { cluster: 'http://u:p@ch1:8123', node: 'resolver-1' }, '/var/lib/fluxhound')!;
    expect(s).toMatchObject({ url: 'http://u:p@ch1:8123', node: 'resolver-1', spoolDir: '/var/lib/fluxhound/cluster-spool', batchRows: 20_000 });
    expect(clusterSettings({ ...config, cluster: { ...config.cluster, url: 'http://ch1:8123' } }, {}, '.')!.node).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  });
  it('refuses a bad URL or node name in one line, never printing a password', () => {
    const config = defaultConfig();
    expect(() => clusterSettings(config, { cluster: 'ch1:8123' }, '.')).toThrow(/only http:\/\/ and https:\/\//);
    expect(() => clusterSettings(config, { cluster: 'http://ch1:8123', node: 'a b' }, '.')).toThrow(/--node takes/);
    expect(() => clusterSettings(config, { cluster: 'ftp://u:secret@ch1' }, '.')).toThrow(/^cluster: ftp:\/\/u:\*\*\*@ch1/);
    expect(redactedUrl('http://fluxhound:secret@ch1:8123')).toBe('http://fluxhound:***@ch1:8123');
  });
});
