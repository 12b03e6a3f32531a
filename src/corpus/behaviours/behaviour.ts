/**
 * A domain behaviour: one queried name and how a resolver answers for it over
 * simulated time. Adding a class of traffic means adding one behaviour and
 * one builder in the population; writers and the traffic model stay as they are.
 */
import type { NameLabel } from '../labels.js';
import type { Prng } from '../prng.js';
import type { ResponseBuilder } from '../response.js';

export type QueryType = 'A' | 'AAAA';

export interface DomainBehaviour {
  readonly label: NameLabel;
  /**
   * Fill the answer (and, when `out.withAuthority`, the authority and
   * additional sections) a client sees at `ts`. Called in increasing `ts`
   * order; `rng` is the traffic model's stream.
   */
  respond(ts: number, qtype: QueryType, out: ResponseBuilder, rng: Prng): void;
}

/**
 * The cache clock of one RRset. A recursive resolver refetches an RRset when
 * its TTL runs out and, until then, hands out the cached copy with the TTL
 * counted down; `phase` staggers the expiries of different names.
 */
export class RrsetClock {
  private epoch = -1;

  constructor(
    readonly ttl: number,
    private readonly phase: number,
  ) {}

  /** True when the RRset expired since the last call (always true for TTL 0): time to draw a new one. */
  refresh(ts: number): boolean {
    const epoch = this.ttl === 0 ? this.epoch + 1 : Math.floor((ts + this.phase) / this.ttl);
    if (epoch === this.epoch) return false;
    this.epoch = epoch;
    return true;
  }

  /** The TTL a client sees at `ts`: counted down from the full TTL since the last refetch. */
  remaining(ts: number): number {
    return remainingTtl(this.ttl, this.phase, ts);
  }
}

/** Stateless count-down for RRsets that never change (stable addresses, CNAMEs, NS sets). */
export function remainingTtl(ttl: number, phase: number, ts: number): number {
  if (ttl === 0) return 0;
  return ttl - (Math.floor(ts + phase) % ttl);
}

/** A name server set with glue; shared by every name under one zone. */
export interface ZoneServers {
  /** Owner name of the NS records (the zone apex). */
  zone: string;
  ns: readonly string[];
  /** Glue address per NS name (same index), or '' when the server is out of zone. */
  glue: readonly string[];
  ttl: number;
}

/** Append an NS set and its glue to the authority and additional sections. */
export function appendServers(servers: ZoneServers, out: ResponseBuilder): void {
  for (let i = 0; i < servers.ns.length; i++) {
    out.authority(servers.zone, 'NS', servers.ns[i] as string, servers.ttl);
  }
  for (let i = 0; i < servers.glue.length; i++) {
    const glue = servers.glue[i] as string;
    if (glue !== '') out.additional(servers.ns[i] as string, 'A', glue, servers.ttl);
  }
}

/** One CNAME record of an answer chain. */
export interface CnameLink {
  /** The CNAME target. */
  target: string;
  ttl: number;
}

/** Append `owner`'s CNAME chain (TTLs counted down with `phase`); returns the name that owns the addresses. */
export function appendChain(owner: string, chain: readonly CnameLink[], phase: number, ts: number, out: ResponseBuilder): string {
  let name = owner;
  for (let i = 0; i < chain.length; i++) {
    const link = chain[i] as CnameLink;
    out.answer(name, 'CNAME', link.target, remainingTtl(link.ttl, phase, ts));
    name = link.target;
  }
  return name;
}

/** Fill `into` with `count` distinct addresses of `pool`, drawn uniformly (all of them when the pool is smaller). */
export function drawDistinct(pool: readonly string[], count: number, rng: Prng, into: string[]): void {
  into.length = 0;
  const n = Math.min(count, pool.length);
  while (into.length < n) {
    const address = pool[rng.int(pool.length)] as string;
    if (!into.includes(address)) into.push(address);
  }
}
