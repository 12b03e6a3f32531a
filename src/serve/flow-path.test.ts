/**
 * The daemon's flow path with the real flow analysis (src/detect/flows): DNS
 * through the daemon flags a fast-flux name, flows reach its addresses, and
 * the exposures come out as NDJSON lines, into the store and the metrics;
 * a full queue drops and counts (fail-open), never blocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { createFlowAnalysis } from '../detect/flows/index.js';
import type { Exposure, FanOut } from '../model/flow.js';
import { bot, rotateFlux } from '../../test/helpers/observations.js';
import { flowRecord, keptFindings } from '../../test/helpers/flows.js';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { waitFor } from '../../test/support/daemon.js';
import { quietDaemon } from '../../test/support/quiet-daemon.js';
import { FlowPath, MAX_QUEUED_FLOWS } from './flow-path.js';
import { storeService } from './store/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const NOW = Math.floor(Date.now() / 1000) - 3600;
const FLUX = 'login.evil-bank.com';

describe('the daemon flow path', () => {
  it('joins live flows with the flagged names: exposures as NDJSON lines, in the store and the metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-flows-'));
    dirs.push(dir);
    const config = defaultConfig();
    config.customers = [{ id: 'acme', name: 'Acme', contact: '', networks: ['192.0.2.0/24'] }];
    config.serve.store.flushInterval = 50;
    const out = new PassThrough();
    let ndjson = '';
    out.on('data', (b: Buffer) => (ndjson += b.toString()));
    const daemon = quietDaemon(config, { enricher: octetEnricher, out, factories: [storeService()], flags: { store: join(dir, 'store.db') } });
    await daemon.start();
    try {
      const addresses = rotateFlux((o) => daemon.context.observations.observe(o), NOW, FLUX, '192.0.2.7');
      expect(daemon.context.flagged.match(FLUX)?.domain).toBe(FLUX);
      // 192.0.2.7 looked the name up; 192.0.2.8 never did (DNS bypass); both connect to its addresses.
      daemon.context.observations.flow!(flowRecord(NOW + 3310, '192.0.2.7', addresses[55]!));
      daemon.context.observations.flow!(flowRecord(NOW + 3320, '192.0.2.8', addresses[56]!));
      await waitFor('two exposures in the store', () => (daemon.context.store?.exposures({ domain: FLUX }, 10).items.length ?? 0) === 2);
      const stored = daemon.context.store!.exposures({ bypass: true }, 10).items;
      expect(stored.map((e) => [e.client, e.customer, e.domain, e.direction])).toEqual([['192.0.2.8', 'acme', FLUX, 'outbound']]);
      const lines = ndjson.trim().split('\n').map((l) => JSON.parse(l) as { record?: string });
      const exposures = lines.filter((l): l is Exposure => l.record === 'exposure');
      expect(exposures.map((e) => [e.client, e.bypass]).sort()).toEqual([
        ['192.0.2.7', false],
        ['192.0.2.8', true],
      ]);
      const metrics = await daemon.metrics();
      expect(metrics).toContain('fluxhound_flow_analysis_flows_total 2');
      expect(metrics).toContain('fluxhound_flow_analysis_exposures_total 2');
      expect(metrics).toContain('fluxhound_flow_analysis_bypasses_total 1');
      expect(metrics).toContain('fluxhound_flow_analysis_dropped_total 0');
      // The analysis's fuller counts reach /metrics too: unproven bypasses and every table's evictions.
      expect(metrics).toContain('fluxhound_flow_analysis_bypass_unknown_total 0');
      expect(metrics).toContain('fluxhound_flow_analysis_evicted_total{table="client_entries"} 0');
      expect(metrics).toContain('fluxhound_flow_analysis_late_total 0');
      expect(metrics).toContain('fluxhound_store_findings_written_total 2');
    } finally {
      await daemon.stop();
    }
  });

  it('stores exact totals when the analysis evicts an exposure and counts it again from zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-flows-'));
    dirs.push(dir);
    const config = defaultConfig();
    config.serve.store.flushInterval = 50;
    // 16 exposure tallies at most: a 17th client evicts the first, whose next flow starts a new tally at 1.
    config.flows.limits.maxHosts = 16;
    const daemon = quietDaemon(config, { enricher: octetEnricher, out: new PassThrough(), factories: [storeService()], flags: { store: join(dir, 'store.db') } });
    await daemon.start();
    try {
      const addresses = rotateFlux((o) => daemon.context.observations.observe(o), NOW, FLUX, '192.0.2.7');
      expect(daemon.context.flagged.match(FLUX)?.domain).toBe(FLUX);
      const clients = Array.from({ length: 17 }, (_, k) => `198.51.100.${k + 1}`);
      clients.forEach((client, k) => daemon.context.observations.flow!(flowRecord(NOW + 3310 + k, client, addresses[55]!)));
      daemon.context.observations.flow!(flowRecord(NOW + 3330, clients[0]!, addresses[55]!));
      await waitFor('the evicted client counted again', () => (daemon.context.store?.exposures({ client: clients[0]! }, 10).items[0]?.flows ?? 0) >= 2);
      const row = daemon.context.store!.exposures({ client: clients[0]! }, 10).items[0]!;
      expect([row.flows, row.bytes, row.packets]).toEqual([2, 2 * flowRecord(NOW, clients[0]!, addresses[55]!).bytes, 2 * flowRecord(NOW, clients[0]!, addresses[55]!).packets]);
      expect(daemon.context.store!.exposures({ client: clients[1]! }, 10).items[0]?.flows).toBe(1);
    } finally {
      await daemon.stop();
    }
  });

  it('drops and counts flows beyond its queue while the analysis has not run, and analyses the rest in later turns', async () => {
    const findings = keptFindings();
    const analysis = createFlowAnalysis({ config: defaultConfig(), findings, reporting: 'live' });
    const path = new FlowPath(analysis, 3);
    for (let i = 0; i < 10; i++) path.flow(flowRecord(NOW + i, '192.0.2.7', bot(i)));
    // Nothing analysed inside the input's call: the input is never held by the analysis.
    expect({ ...path.stats, queued: path.queued, analysed: analysis.stats.flows }).toEqual({ received: 10, dropped: 7, analysed: 0, queued: 3 });
    await waitFor('the queue drained', () => path.queued === 0);
    expect(analysis.stats.flows).toBe(3);
    expect(path.stats.analysed).toBe(3);
    path.flow(flowRecord(NOW + 20, '192.0.2.7', bot(20)));
    path.finish();
    expect(analysis.stats.flows).toBe(4);
    // Stopped: later flows are counted, not queued.
    path.flow(flowRecord(NOW + 21, '192.0.2.7', bot(21)));
    expect({ received: path.stats.received, queued: path.queued }).toEqual({ received: 12, queued: 0 });
  });

  it('gives an input that can wait room before it reads on: none is dropped, whatever the burst', async () => {
    const analysis = createFlowAnalysis({ config: defaultConfig(), findings: keptFindings(), reporting: 'live' });
    const path = new FlowPath(analysis, 8);
    for (let i = 0; i < 3; i++) path.flow(flowRecord(NOW + i, '192.0.2.7', bot(i)));
    // Below half full: room at once.
    let ready = false;
    await path.room().then(() => (ready = true));
    expect(ready).toBe(true);
    // A reader of a file: waits for room before each chunk (at most half the queue, as a 1 MiB chunk of conn.log is of 65,536).
    for (let chunk = 0; chunk < 20; chunk++) {
      await path.room();
      expect(path.queued).toBeLessThan(4);
      for (let i = 0; i < 4; i++) path.flow(flowRecord(NOW + 10 + chunk * 4 + i, '192.0.2.7', bot(chunk * 4 + i)));
    }
    await waitFor('the queue drained', () => path.queued === 0);
    expect(path.stats).toEqual({ received: 83, dropped: 0, analysed: 83 });
    // Stopped: room at once (a reader never hangs on a stopped daemon).
    for (let i = 0; i < 8; i++) path.flow(flowRecord(NOW + 200 + i, '192.0.2.7', bot(i)));
    const waiting = path.room();
    path.finish();
    await waiting;
  });

  it('without an analysis counts flows and lets them go', () => {
    const daemon = quietDaemon(defaultConfig(), { flowAnalysis: null });
    daemon.context.observations.flow!(flowRecord(NOW, '192.0.2.7', bot(1)));
    expect({ ...daemon.flows.stats, queued: daemon.flows.queued }).toEqual({ received: 1, dropped: 0, analysed: 0, queued: 0 });
    expect(daemon.context.flows).toBeNull();
  });

  it('hands fan-out findings to the same NDJSON out', async () => {
    const config = defaultConfig();
    config.flows.fanOut.distinct = 20;
    const out = new PassThrough();
    let ndjson = '';
    out.on('data', (b: Buffer) => (ndjson += b.toString()));
    const daemon = quietDaemon(config, { out });
    await daemon.start();
    try {
      for (let i = 0; i < 60; i++) daemon.context.observations.flow!(flowRecord(NOW + i, '192.0.2.66', bot(i)));
      await waitFor('the flows analysed', () => daemon.flows.queued === 0 && daemon.flows.stats.analysed === 60);
    } finally {
      await daemon.stop();
    }
    const fanOuts = ndjson.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as FanOut).filter((l) => l.record === 'fan-out');
    expect(fanOuts.length).toBeGreaterThan(0);
    expect(fanOuts[0]).toMatchObject({ record: 'fan-out', host: '192.0.2.66' });
    expect(fanOuts[0]!.distinct).toBeGreaterThanOrEqual(20);
  });

  it('tells GET /health when the queue is full, flows were dropped lately, or the oldest flow waited past the bound', async () => {
    let clock = 1_000_000;
    const analysis = createFlowAnalysis({ config: defaultConfig(), findings: keptFindings(), reporting: 'live' });
    const path = new FlowPath(analysis, 4, () => clock);
    expect(path.health(10)).toEqual([]);
    path.flow(flowRecord(NOW, '192.0.2.7', bot(1)));
    clock += 9_000;
    path.flow(flowRecord(NOW + 1, '192.0.2.7', bot(2)));
    // 9 s is within the bound; 12 s is not (the oldest flow counts, not the newest).
    expect(path.oldestWaitSeconds()).toBe(9);
    expect(path.health(10)).toEqual([]);
    clock += 3_000;
    expect(path.health(10)).toEqual(['flows: the oldest flow has waited 12.0 s (bound serve.http.maxDetectorLag 10 s)']);
    path.flow(flowRecord(NOW + 2, '192.0.2.7', bot(3)));
    path.flow(flowRecord(NOW + 3, '192.0.2.7', bot(4)));
    path.flow(flowRecord(NOW + 4, '192.0.2.7', bot(5)));
    expect(path.full).toBe(true);
    expect(path.health(10)).toEqual([
      "flows: the flow queue is full (4 flows); the collector's flows are dropped and counted",
      'flows: the oldest flow has waited 12.0 s (bound serve.http.maxDetectorLag 10 s)',
    ]);
    await waitFor('the queue drained', () => path.queued === 0);
    // Drained, but a flow was dropped 2 s ago: still a reason until the bound has passed since.
    clock += 2_000;
    expect(path.health(10)).toEqual(['flows: 1 flows dropped so far, the last 2.0 s ago (within serve.http.maxDetectorLag 10 s); the flow analysis lags']);
    clock += 9_000;
    expect(path.health(10)).toEqual([]);
  });

  it("puts the flow queue's reasons in the daemon's health (GET /health)", () => {
    const daemon = quietDaemon(defaultConfig());
    expect(daemon.health()).toEqual([]);
    // Not started and nothing drains within this turn: the real queue (MAX_QUEUED_FLOWS) fills, the next flow is dropped.
    for (let i = 0; i <= MAX_QUEUED_FLOWS; i++) daemon.context.observations.flow!(flowRecord(NOW + (i % 600), '192.0.2.7', bot(i % 250)));
    expect(daemon.flows.stats.dropped).toBe(1);
    expect(daemon.health()).toEqual([`flows: the flow queue is full (${MAX_QUEUED_FLOWS} flows); the collector's flows are dropped and counted`]);
    daemon.flows.finish();
    expect(daemon.health()).toEqual([expect.stringMatching(/^flows: 1 flows dropped so far, the last \d+\.\d s ago \(within serve.http.maxDetectorLag 10 s\); the flow analysis lags$/)]);
  });
});
