/**
 * benign-roundrobin: a service load-balanced by DNS over a fixed pool of 4-8
 * addresses in one AS. Either every address comes back in rotated order, or a
 * rotating subset does; either way the set of addresses ever seen stays small
 * and in one network, which is what separates it from flux.
 */
import type { NameLabel } from '../labels.js';
import type { Prng } from '../prng.js';
import type { ResponseBuilder } from '../response.js';
import type { DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import { RrsetClock, appendServers } from './behaviour.js';

export interface BenignRoundRobinSetup {
  label: NameLabel;
  pool: readonly string[];
  /** How many addresses one answer carries; equal to the pool size for "all, rotated". */
  perAnswer: number;
  ttl: number;
  phase: number;
  servers: ZoneServers;
}

export class BenignRoundRobin implements DomainBehaviour {
  readonly label: NameLabel;
  private readonly pool: readonly string[];
  private readonly perAnswer: number;
  private readonly clock: RrsetClock;
  private readonly servers: ZoneServers;
  private offset = 0;

  constructor(setup: BenignRoundRobinSetup) {
    this.label = setup.label;
    this.pool = setup.pool;
    this.perAnswer = setup.perAnswer;
    this.clock = new RrsetClock(setup.ttl, setup.phase);
    this.servers = setup.servers;
  }

  respond(ts: number, qtype: QueryType, out: ResponseBuilder, rng: Prng): void {
    if (qtype === 'A') {
      if (this.clock.refresh(ts)) this.offset = rng.int(this.pool.length);
      const ttl = this.clock.remaining(ts);
      for (let i = 0; i < this.perAnswer; i++) {
        out.answer(this.label.name, 'A', this.pool[(this.offset + i) % this.pool.length] as string, ttl);
      }
    }
    if (out.withAuthority) appendServers(this.servers, out);
  }
}
