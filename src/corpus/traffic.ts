/**
 * The traffic model: who asks what, when. Exchanges are spread evenly over
 * the simulated span with jitter (so timestamps strictly increase), benign
 * names are asked by Zipf popularity, flux names share a fixed slice of the
 * traffic (evenly, or by a Zipf popularity of their own and only during
 * their campaign), and clients too are Zipf-distributed (a few chatty hosts).
 */
import type { DomainBehaviour, QueryType } from './behaviours/behaviour.js';
import type { DomainClass } from './labels.js';
import { countByClass } from './labels.js';
import type { Population } from './population.js';
import type { Prng } from './prng.js';
import { WeightedIndex, zipfWeights } from './prng.js';
import { ResponseBuilder } from './response.js';
import type { TrafficSpec } from './spec.js';
import type { CorpusWriter } from './writers/writer.js';

/** Writers are drained after this many buffered bytes: large writes, bounded memory. */
const FLUSH_AT_BYTES = 4 << 20;

export interface TrafficResult {
  records: number;
  /** Exchanges per class, for a summary and for tests. */
  byClass: Record<DomainClass, number>;
  firstTs: number;
  lastTs: number;
  /** Exchanges per name, by index into `population.popular`, `population.flux` and `population.schedule.names`. */
  popularLookups: Uint32Array;
  fluxLookups: Uint32Array;
  scheduledLookups: Uint32Array;
}

export async function runTraffic(
  population: Population,
  spec: TrafficSpec,
  writers: readonly CorpusWriter[],
  rng: Prng,
): Promise<TrafficResult> {
  const popularity = new WeightedIndex(zipfWeights(population.popular.length, spec.popularityExponent));
  const clients = clientAddresses(spec.clients);
  const clientIndex = new WeightedIndex(zipfWeights(clients.length, 0.8));
  const out = new ResponseBuilder();
  const { popular, flux } = population;
  const fluxShare = flux.length > 0 ? spec.fluxShare : 0;
  const pickFlux = fluxPicker(flux, spec, rng);
  const step = spec.durationSeconds / Math.max(1, spec.records);
  const byClass = countByClass();
  const popularLookups = new Uint32Array(popular.length);
  const fluxLookups = new Uint32Array(flux.length);
  let firstTs = spec.start;
  let lastTs = spec.start;

  const scheduled = population.schedule;
  const { at, which } = scheduled.inOrder();
  const scheduledLookups = new Uint32Array(scheduled.names.length);
  let nextScheduled = 0;
  let records = 0;
  /**
   * The scheduled lookups due before `until`, in time order, drawing from the
   * schedule's own stream: the popularity-driven exchanges stay as they were.
   */
  const askScheduled = (until: number): void => {
    const sr = scheduled.rng;
    for (; nextScheduled < at.length; nextScheduled++) {
      const ts = spec.start + (at[nextScheduled] as number) * spec.durationSeconds;
      if (ts >= until) return;
      const k = which[nextScheduled] as number;
      const behaviour = scheduled.names[k] as DomainBehaviour;
      scheduledLookups[k] = (scheduledLookups[k] as number) + 1;
      // Scheduled names are counted in A lookups: their few lookups all carry what detection uses.
      out.begin(ts, behaviour.label.name, 'A', clients[clientIndex.draw(sr)] as string);
      out.withAuthority = sr.next() < spec.authorityShare;
      behaviour.respond(ts, 'A', out, sr);
      for (const writer of writers) writer.write(out.observation);
      byClass[behaviour.label.class]++;
      if (records++ === 0) firstTs = ts;
      lastTs = ts;
    }
  };

  for (let i = 0; i < spec.records; i++) {
    const ts = spec.start + step * (i + rng.next());
    if (nextScheduled < at.length) askScheduled(ts);
    const fluxIndex = rng.next() < fluxShare ? pickFlux(ts, rng) : -1;
    let behaviour: DomainBehaviour;
    if (fluxIndex >= 0) {
      behaviour = flux[fluxIndex] as DomainBehaviour;
      fluxLookups[fluxIndex] = (fluxLookups[fluxIndex] as number) + 1;
    } else {
      const k = popularity.draw(rng);
      behaviour = popular[k] as DomainBehaviour;
      popularLookups[k] = (popularLookups[k] as number) + 1;
    }
    const qtype: QueryType = rng.next() < spec.aaaaShare ? 'AAAA' : 'A';
    out.begin(ts, behaviour.label.name, qtype, clients[clientIndex.draw(rng)] as string);
    out.withAuthority = rng.next() < spec.authorityShare;
    behaviour.respond(ts, qtype, out, rng);
    for (const writer of writers) writer.write(out.observation);
    byClass[behaviour.label.class]++;
    if (records++ === 0) firstTs = ts;
    lastTs = ts;
    if ((i & 1023) === 1023) {
      for (const writer of writers) if (writer.pendingBytes >= FLUSH_AT_BYTES) await writer.flush();
    }
  }
  askScheduled(Infinity);
  return { records, byClass, firstTs, lastTs, popularLookups, fluxLookups, scheduledLookups };
}

/** Index of a flux name to ask at `ts`, or -1 when the draw finds none in its campaign (a benign name is asked instead). */
type FluxPicker = (ts: number, rng: Prng) => number;

/** Draws before giving up on finding a flux name whose campaign is running. */
const ACTIVE_TRIES = 16;

function fluxPicker(flux: readonly DomainBehaviour[], spec: TrafficSpec, rng: Prng): FluxPicker {
  if (spec.fluxPopularityExponent === undefined && spec.fluxActiveSeconds === undefined) {
    return (_ts, r) => r.int(flux.length);
  }
  if (flux.length === 0) return () => -1;
  // A stream of its own, taken only here, so specs without these options draw as before.
  const own = rng.fork('flux-popularity');
  const rank = own.shuffle(Array.from({ length: flux.length }, (_, i) => i));
  const index = new WeightedIndex(zipfWeights(rank.length, spec.fluxPopularityExponent ?? 0));
  const windows = campaignWindows(rank.map((i) => flux[i] as DomainBehaviour), spec, own);
  return (ts, r) => {
    for (let i = 0; i < ACTIVE_TRIES; i++) {
      const k = index.draw(r);
      if (ts >= (windows[2 * k] as number) && ts < (windows[2 * k + 1] as number)) return rank[k] as number;
    }
    return -1;
  };
}

/**
 * [start, end) per flux name, shared by the names of one registered domain:
 * a campaign of a length in `fluxActiveSeconds`, starting anywhere from a
 * quarter of its length before the span to near its end.
 */
function campaignWindows(order: readonly DomainBehaviour[], spec: TrafficSpec, rng: Prng): Float64Array {
  const windows = new Float64Array(order.length * 2);
  const byDomain = new Map<string, [number, number]>();
  for (let k = 0; k < order.length; k++) {
    const domain = (order[k] as DomainBehaviour).label.registeredDomain;
    let window = byDomain.get(domain);
    if (window === undefined) {
      if (spec.fluxActiveSeconds === undefined) window = [-Infinity, Infinity];
      else {
        const [min, max] = spec.fluxActiveSeconds;
        const length = min + rng.next() * (max - min);
        const start = spec.start - length / 4 + rng.next() * spec.durationSeconds;
        window = [start, start + length];
      }
      byDomain.set(domain, window);
    }
    windows[2 * k] = window[0];
    windows[2 * k + 1] = window[1];
  }
  return windows;
}

/** Client addresses in 10.0.0.0/8, skipping .0 and .255 hosts. */
function clientAddresses(count: number): string[] {
  const clients: string[] = [];
  for (let i = 0; clients.length < count; i++) {
    const host = i % 254;
    const subnet = Math.floor(i / 254);
    clients.push(`10.${1 + ((subnet >> 8) & 255)}.${subnet & 255}.${host + 1}`);
  }
  return clients;
}
