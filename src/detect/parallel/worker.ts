/**
 * One partition's detector in a worker thread (see README.md). Handles the
 * main thread's messages strictly in order; after 'exchange' it holds every
 * later batch until the epoch's 'apply' came, so what it sees of the other
 * partitions depends on the input alone, never on thread timing.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Detector } from '../detector.js';
import type { Verdict } from '../../model/verdict.js';
import type { FromWorker, PlacedJoin, ToWorker, VerdictOut, WorkerSetup } from './protocol.js';
import { cookRecipe } from './recipe.js';

if (parentPort === null) throw new Error('detect/parallel: worker.js runs only as a worker thread');
const port: MessagePort = parentPort;
const setup = workerData as WorkerSetup;

const post = (message: FromWorker): void => port.postMessage(message);
/** An epoch reply (or a failure the main thread may be blocked waiting on): on the replies port, then wake the main thread. */
function reply(message: FromWorker): void {
  setup.replies.postMessage(message);
  Atomics.add(setup.signal, 0, 1);
  Atomics.notify(setup.signal, 0);
}

async function main(): Promise<void> {
  const { enricher, infra } = await cookRecipe(setup.recipe);
  let at = 0;
  let seq = 0;
  let joins: PlacedJoin[] = [];
  let flags: VerdictOut[] = [];
  let finals: VerdictOut[] = [];
  const detector: Detector = new Detector({
    config: setup.recipe.config,
    enricher,
    infra,
    baseline: setup.recipe.baseline,
    reportBenign: setup.recipe.reportBenign,
    onFlag: (v) => flags.push(out(v)),
    onFinal: (v) => finals.push(out(v)),
    onNetworkJoin: (join) => joins.push({ ...join, at, seq: seq++, partition: setup.partition }),
  });
  /** The verdict and, for each flux network it names, the network's first domain: the main thread renumbers by it. */
  function out(verdict: Verdict): VerdictOut {
    if (verdict.features.network_id === 0 && verdict.network === null) return { verdict, networks: null };
    const networks: Record<string, string> = {};
    for (const label of labelsIn(verdict)) {
      const root = detector.networks.idOf(label);
      const first = root < 0 ? undefined : detector.networks.sampleOf(root)[0];
      if (first !== undefined) networks[label] = first;
    }
    return { verdict, networks };
  }

  let waiting = false;
  const held: ToWorker[] = [];
  function handle(message: ToWorker): void {
    switch (message.t) {
      case 'batch':
        for (let i = 0; i < message.obs.length; i++) {
          if (message.at[i]! !== at) {
            at = message.at[i]!;
            seq = 0;
          }
          if (message.kinds[i] === 0) detector.observe(message.obs[i]!);
          else detector.observeServer(message.obs[i]!);
        }
        return;
      case 'exchange':
        reply({ t: 'epoch', epoch: message.epoch, joins, flags, finals });
        joins = [];
        flags = [];
        finals = [];
        waiting = true;
        return;
      case 'apply':
        for (const join of message.joins) if (join.partition !== setup.partition) detector.adoptNetworkJoin(join);
        waiting = false;
        return;
      case 'flush': {
        const tracked = detector.tracked;
        detector.flush();
        post({ t: 'flushed', partition: setup.partition, joins, flags, finals, stats: detector.stats, tracked });
        joins = [];
        flags = [];
        finals = [];
        return;
      }
      case 'current': {
        const v = detector.current(message.domain);
        post({ t: 'current', id: message.id, verdict: v === null ? null : out(v) });
        return;
      }
    }
  }
  port.on('message', (message: ToWorker) => {
    try {
      if (waiting && message.t !== 'apply') {
        held.push(message);
        return;
      }
      handle(message);
      // An 'apply' releases what came after the exchange, up to the next exchange.
      while (!waiting && held.length > 0) handle(held.shift()!);
    } catch (err) {
      failed(err);
    }
  });
  post({ t: 'ready' });
}

/** Every 'fn-N' a verdict names: its network, the network of its features, its reasons. */
function labelsIn(verdict: Verdict): Set<string> {
  const labels = new Set<string>();
  if (verdict.network !== null) labels.add(verdict.network);
  if (verdict.features.network_id > 0) labels.add(`fn-${verdict.features.network_id}`);
  for (const reason of verdict.reasons) for (const m of reason.matchAll(/\bfn-\d+\b/g)) labels.add(m[0]);
  return labels;
}

/** Told on both ports: the main thread may be awaiting (flush, start) or blocked on an epoch. */
function failed(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  post({ t: 'error', message });
  reply({ t: 'error', message });
}

main().catch(failed);
