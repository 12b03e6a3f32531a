/**
 * The traffic model: who asks what, when. Exchanges are spread evenly over
 * the simulated span with jitter (so timestamps strictly increase), benign
 * names are asked by Zipf popularity, flux names share a fixed slice of the
 * traffic, and clients too are Zipf-distributed (a few chatty hosts).
 */
import type { DomainBehaviour, QueryType } from './behaviours/behaviour.js';
import type { DomainClass } from './labels.js';
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
  const step = spec.durationSeconds / Math.max(1, spec.records);
  const byClass: Record<DomainClass, number> = { 'benign-static': 0, 'benign-roundrobin': 0, cdn: 0, 'flux-single': 0, 'flux-double': 0 };
  let firstTs = spec.start;
  let lastTs = spec.start;

  for (let i = 0; i < spec.records; i++) {
    const ts = spec.start + step * (i + rng.next());
    const behaviour = rng.next() < fluxShare ? (flux[rng.int(flux.length)] as DomainBehaviour) : (popular[popularity.draw(rng)] as DomainBehaviour);
    const qtype: QueryType = rng.next() < spec.aaaaShare ? 'AAAA' : 'A';
    out.begin(ts, behaviour.label.name, qtype, clients[clientIndex.draw(rng)] as string);
    out.withAuthority = rng.next() < spec.authorityShare;
    behaviour.respond(ts, qtype, out, rng);
    for (const writer of writers) writer.write(out.observation);
    byClass[behaviour.label.class]++;
    if (i === 0) firstTs = ts;
    lastTs = ts;
    if ((i & 1023) === 1023) {
      for (const writer of writers) if (writer.pendingBytes >= FLUSH_AT_BYTES) await writer.flush();
    }
  }
  return { records: spec.records, byClass, firstTs, lastTs };
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
