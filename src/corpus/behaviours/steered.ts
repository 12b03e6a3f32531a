/**
 * A name whose answer a provider steers among a few routes (edge clusters,
 * cloud regions, CDN providers, front-end clusters, mirror sets), each with
 * its own CNAME chain and address set. It is the common shape of the
 * legitimate look-alikes (Akamai mapping, Traffic Manager and Route 53
 * routing, multi-CDN steering, Google front ends, mirror redirectors): the
 * addresses change often and may span several networks, but they come from a
 * fixed, provider-owned set, reached through the provider's CNAMEs.
 *
 * The steering decision is revisited when the steered record expires
 * (`steerTtl`) and keeps the current route with probability `stickiness`;
 * the current route's addresses are redrawn when the address set expires.
 */
import type { NameLabel } from '../labels.js';
import type { Prng } from '../prng.js';
import type { ResponseBuilder } from '../response.js';
import type { CnameLink, DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import { RrsetClock, appendChain, appendServers, drawDistinct } from './behaviour.js';

export interface Route {
  /** From the queried name down to the owner of the addresses; empty when the name owns them. */
  chain: readonly CnameLink[];
  v4: readonly string[];
  /** Empty when the route has no IPv6. */
  v6: readonly string[];
  /** The authority the route's answers carry; the setup's `servers` when absent. */
  servers?: ZoneServers;
  /** The route's own address TTL and addresses per answer, when they differ from the setup's (one name on several CDNs). */
  addressTtl?: number;
  perAnswer?: number;
}

export interface SteeredSetup {
  label: NameLabel;
  routes: readonly Route[];
  /** Relative weight of each route; equal weights when absent. */
  weights?: readonly number[];
  /** TTL of the steered record: how often the route is reconsidered. */
  steerTtl: number;
  /** Chance that a reconsidered route stays as it was. */
  stickiness: number;
  addressTtl: number;
  perAnswer: number;
  /** AAAA records per answer; `perAnswer` when absent. */
  perAnswerV6?: number;
  /**
   * `window`: `perAnswer` consecutive addresses from a random start (DNS
   * round robin; the whole set rotated when perAnswer >= the set).
   * `sample`: `perAnswer` distinct addresses drawn at random.
   */
  selection: 'window' | 'sample';
  phase: number;
  servers: ZoneServers;
}

export class SteeredName implements DomainBehaviour {
  readonly label: NameLabel;
  private readonly setup: SteeredSetup;
  private readonly steerClock: RrsetClock;
  /** One per route: each route's address set has its own TTL. */
  private readonly addressClocks: RrsetClock[];
  private route = -1;
  private redraw = true;
  private readonly currentV4: string[] = [];
  private readonly currentV6: string[] = [];

  constructor(setup: SteeredSetup) {
    if (setup.routes.length === 0) throw new Error(`corpus: steered: ${setup.label.name} has no route`);
    this.label = setup.label;
    this.setup = setup;
    this.steerClock = new RrsetClock(setup.steerTtl, setup.phase);
    this.addressClocks = setup.routes.map((r) => new RrsetClock(r.addressTtl ?? setup.addressTtl, setup.phase));
  }

  respond(ts: number, qtype: QueryType, out: ResponseBuilder, rng: Prng): void {
    const s = this.setup;
    if (this.steerClock.refresh(ts) && (this.route < 0 || !rng.chance(s.stickiness))) {
      const next = pickWeighted(s.routes.length, s.weights, rng);
      if (next !== this.route) this.redraw = true;
      this.route = next;
    }
    const route = s.routes[this.route] as Route;
    const clock = this.addressClocks[this.route] as RrsetClock;
    const owner = appendChain(this.label.name, route.chain, s.phase, ts, out);
    if (clock.refresh(ts) || this.redraw) {
      this.redraw = false;
      const perAnswer = route.perAnswer ?? s.perAnswer;
      select(route.v4, perAnswer, s.selection, rng, this.currentV4);
      select(route.v6, s.perAnswerV6 ?? perAnswer, s.selection, rng, this.currentV6);
    }
    const addresses = qtype === 'A' ? this.currentV4 : this.currentV6;
    const ttl = clock.remaining(ts);
    for (let i = 0; i < addresses.length; i++) out.answer(owner, qtype, addresses[i] as string, ttl);
    if (out.withAuthority) appendServers(route.servers ?? s.servers, out);
  }
}

function select(pool: readonly string[], count: number, selection: SteeredSetup['selection'], rng: Prng, into: string[]): void {
  if (selection === 'sample') {
    drawDistinct(pool, count, rng, into);
    return;
  }
  into.length = 0;
  const n = Math.min(count, pool.length);
  const start = pool.length === 0 ? 0 : rng.int(pool.length);
  for (let i = 0; i < n; i++) into.push(pool[(start + i) % pool.length] as string);
}

/** An index in [0, n) by relative weight (uniform without weights); n is a handful. */
export function pickWeighted(n: number, weights: readonly number[] | undefined, rng: Prng): number {
  if (weights === undefined) return rng.int(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i] ?? 0;
  let target = rng.next() * total;
  for (let i = 0; i < n; i++) {
    target -= weights[i] ?? 0;
    if (target < 0) return i;
  }
  return n - 1;
}
