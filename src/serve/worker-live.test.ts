/**
 * What serve asks of and changes in its detector workers (real threads,
 * dist's worker.js): a flux network's members spread over both partitions
 * equal one Detector's; the tracked-domains count is the workers' sum; a
 * reload that changes the verdict section reaches every worker, or none when
 * one does not accept it in time; the intel index, a feed refresh and the
 * allowlist reach every worker; flows reach every worker's flow evidence, so
 * verdicts carry the flow evidence one thread gives them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { Detector } from '../detect/detector.js';
import { partitionOf } from '../detect/partition.js';
import { BUNDLED } from '../../test/support/worker-daemon.js';
import type { FlowRecord } from '../model/flow.js';
import type { DnsObservation } from '../model/observation.js';
import { aResponse, bot, rotateFlux } from '../../test/helpers/observations.js';
import { requireBuilt } from '../../test/support/cli.js';
import { daemonOnWorkers, until, WORKER } from '../../test/support/worker-daemon.js';
import { intelService, type IntelService } from './intel/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-worker-live-'));
beforeAll(() => requireBuilt());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = Math.floor(Date.now() / 1000) - 7200;

/** A name `www.<label><n>.example` of each partition (of 2), in that order. */
function namesOfEachPartition(label: string): [string, string] {
  const found: (string | undefined)[] = [undefined, undefined];
  for (let n = 0; found.includes(undefined); n++) {
    const name = `www.${label}${n}.example`;
    const p = partitionOf(name, 2);
    found[p] ??= name;
  }
  return found as [string, string];
}

describe('serve --workers: what the daemon asks of every worker', () => {
  it("serves a network's members across partitions as one Detector does, and the tracked-domains count", async () => {
    const names = namesOfEachPartition('fluxnet');
    const seen: DnsObservation[] = [];
    const { daemon } = daemonOnWorkers();
    await daemon.start();
    try {
      const observe = (o: DnsObservation): void => {
        seen.push(o);
        daemon.context.observations.observe(o);
      };
      // Both names answer from the same bots: one flux network, a name in each partition.
      rotateFlux(observe, T, names[0], '192.0.2.1');
      rotateFlux(observe, T + 10, names[1], '192.0.2.2');
      await daemon.workers!.drain();
      const one = new Detector({ config: defaultConfig(), enricher: BUNDLED });
      for (const o of seen) one.observe(o);
      const expected = one.networkMembers('fn-1', 1000);
      expect(expected?.domains).toEqual(names);
      expect(await daemon.workers!.liveNetworkMembers('fn-1', 1000)).toEqual(expected);
      expect(await daemon.workers!.liveNetworkMembers('fn-1', 7)).toEqual(one.networkMembers('fn-1', 7));
      expect(await daemon.workers!.liveNetworkMembers('fn-9', 1000)).toBeNull();
      await daemon.workers!.pollNow();
      expect(daemon.context.detector.tracked).toBe(one.tracked);
      expect(await daemon.metrics()).toMatch(new RegExp(`^fluxhound_tracked_domains ${one.tracked}$`, 'm'));
    } finally {
      await daemon.stop();
    }
  }, 60_000);

  it('reaches every worker with a reload that changes the verdict section, or none when one does not accept it', async () => {
    const names = namesOfEachPartition('reload');
    const file = join(dir, 'reload.yaml');
    writeFileSync(file, 'customers: []\n');
    // Partition 1's thread is busy (blocked) when the first config change comes: it answers past askMs.
    const busy = join(dir, 'busy-worker.mjs');
    writeFileSync(
      busy,
      `import { parentPort, workerData } from 'node:worker_threads';\nimport ${JSON.stringify(WORKER.href)};\n` +
        `let once = false;\nif (workerData.partition === 1) parentPort.on('message', (m) => {\n` +
        `  if (m.t === 'live-prepare' && m.change.k === 'config' && !once) { once = true; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500); }\n});\n`,
    );
    const { daemon, log } = daemonOnWorkers({ configPath: file, workerUrl: pathToFileURL(busy), askMs: 300 });
    await daemon.start();
    try {
      // Two lookups of three fresh bots each: flagged (score about 58), below 99 whatever the partition learnt.
      names.forEach((name, n) => {
        for (let l = 0; l < 2; l++) daemon.context.observations.observe(aResponse(T + l * 300, name, [0, 1, 2].map((j) => bot(n * 50 + l * 3 + j)), 120, { client: '192.0.2.1' }));
      });
      await daemon.workers!.drain();
      const verdicts = async (): Promise<Array<{ verdict: string; score: number } | null>> => Promise.all(names.map((n) => daemon.workers!.live(n)));
      const before = await verdicts();
      expect(before.map((v) => v !== null && v.verdict !== 'benign' && v.score < 99)).toEqual([true, true]);
      const labels = async (): Promise<string[]> => (await verdicts()).map((v) => v?.verdict ?? 'none');
      // Thresholds above both scores: applied, both are benign.
      writeFileSync(file, 'verdict:\n  fastFlux: 100\n  suspicious: 99\n');
      expect(await daemon.reload()).toBe(false);
      expect(daemon.context.config.verdict.fastFlux).toBe(60);
      // Partition 0 had accepted and held the change: it dropped it, as partition 1 did.
      expect(await labels()).toEqual(before.map((v) => v!.verdict));
      const refused = log().split('\n').filter((l) => l.includes('reload refused'));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toContain('"refusedBy":"workers"');
      expect(refused[0]).toContain('did not all accept the config change');
      const metrics = await daemon.metrics();
      expect(metrics).toMatch(/^fluxhound_config_reloads_total\{result="refused"\} 1$/m);
      expect(metrics).toMatch(/^fluxhound_detector_worker_changes_total\{change="config",result="refused"\} 1$/m);
      // The same reload again: every worker takes it.
      expect(await daemon.reload()).toBe(true);
      expect(daemon.context.config.verdict.fastFlux).toBe(100);
      expect(await labels()).toEqual(['benign', 'benign']);
      expect(await daemon.metrics()).toMatch(/^fluxhound_detector_worker_changes_total\{change="config",result="applied"\} 1$/m);
    } finally {
      await daemon.stop();
    }
  }, 60_000);

  it('gives every worker the intel index, each refresh of it, and the allowlist', async () => {
    const listed = namesOfEachPartition('listed');
    const later = namesOfEachPartition('later');
    const feed = join(dir, 'feed.txt');
    const registered = (name: string): string => name.slice('www.'.length);
    writeFileSync(feed, listed.map(registered).join('\n') + '\n');
    const config = defaultConfig();
    // Allowlisted under a listed domain: never flagged by its listing.
    const allowed = `safe.${registered(listed[1])}`;
    config.policy.allowlist = [allowed];
    const { daemon, lines } = daemonOnWorkers({ config, factories: [intelService], flags: { intel: [feed] } });
    await daemon.start();
    try {
      const intel = daemon.services.find((s) => s.name === 'intel') as IntelService;
      await until(() => (daemon.workers!.changes.applied.get('intel') ?? 0) >= 1, 'the first index in every worker');
      const look = (name: string, at: number): void => daemon.context.observations.observe(aResponse(at, name, ['203.0.113.9'], 300, { client: '192.0.2.1' }));
      look(allowed, T);
      for (const name of [...listed, ...later]) look(name, T + 1);
      await daemon.workers!.drain();
      const flaggedDomains = (): string[] => lines().map((v) => v.domain);
      await until(() => listed.every((n) => flaggedDomains().includes(registered(n))), 'both listings flagged');
      expect(flaggedDomains().filter((d) => later.map(registered).includes(d))).toEqual([]);
      // The allowlisted name's lookup was not taken as a listed one: the allowlist reached its worker.
      await daemon.workers!.pollNow();
      expect(daemon.context.detector.stats.intelAllowlisted).toBe(1);
      // A refresh of the feed: the new index reaches both partitions.
      writeFileSync(feed, later.map(registered).join('\n') + '\n');
      await intel.feeds.refreshNow();
      await until(() => (daemon.workers!.changes.applied.get('intel') ?? 0) >= 2, 'the refreshed index in every worker');
      for (const name of later) look(name, T + 2);
      await daemon.workers!.drain();
      await until(() => later.every((n) => flaggedDomains().includes(registered(n))), 'both new listings flagged');
      expect(daemon.workers!.changes.refused.size).toBe(0);
    } finally {
      await daemon.stop();
    }
  }, 60_000);

  it("hands every flow to the workers' flow evidence: verdicts carry what one thread's carry", async () => {
    const names = namesOfEachPartition('flowed');
    const flows: FlowRecord[] = [];
    for (let i = 0; i < 30; i++) {
      flows.push({ start: T + 100 + i, end: T + 101 + i, src: `10.0.0.${1 + (i % 5)}`, srcPort: 40000 + i, dst: bot(i), dstPort: 443, proto: 6, bytes: 900, packets: 6, samplingRate: 1, exporter: 'test', position: `flow ${i}`, initiator: 'src' });
    }
    const run = async (count: number): Promise<Array<Record<string, unknown> | null>> => {
      const { daemon } = daemonOnWorkers({ count, flowsFromServicesOnly: false });
      await daemon.start();
      try {
        const observe = (o: DnsObservation): void => daemon.context.observations.observe(o);
        for (const f of flows) daemon.context.observations.flow!(f);
        await until(() => daemon.flows.queued === 0, 'the flows analysed');
        rotateFlux(observe, T, names[0], '192.0.2.1');
        rotateFlux(observe, T + 10, names[1], '192.0.2.2');
        await daemon.workers?.drain();
        return await Promise.all(
          names.map(async (n) => {
            const detector = daemon.context.detector;
            const v = detector.live !== undefined ? await detector.live(n) : detector.current(n);
            return v === null ? null : { verdict: v.verdict, score: v.score, flow_evidence: v.features.flow_evidence, flow_clients: v.features.flow_clients, flows: v.flows };
          }),
        );
      } finally {
        await daemon.stop();
      }
    };
    const one = await run(1);
    expect(one[0]).toMatchObject({ flow_evidence: expect.any(Number) });
    expect((one[0]!.flow_evidence as number) > 0).toBe(true);
    expect(await run(2)).toEqual(one);
  }, 60_000);
});
