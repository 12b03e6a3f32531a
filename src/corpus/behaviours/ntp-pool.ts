/**
 * ntp-pool: the names of the NTP Pool Project (`0.pool.ntp.org`,
 * `1.de.pool.ntp.org`, `2.debian.pool.ntp.org`, ...). Every answer carries 4
 * servers drawn from the zone's volunteers (hosting and home connections in
 * dozens of networks and countries), weighted by the bandwidth each
 * volunteer offers, with a TTL of 130 s: real rotation across many networks,
 * the hardest benign look-alike of flux. Only the `2.` names have AAAA
 * records, as in the real pool.
 */
import type { NameLabel } from '../labels.js';
import type { Prng } from '../prng.js';
import { WeightedIndex } from '../prng.js';
import type { ResponseBuilder } from '../response.js';
import type { DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import { RrsetClock, appendServers } from './behaviour.js';

/** The servers one zone (global, a continent, a country) hands out, with their bandwidth weights. */
export class NtpZone {
  private readonly v4Index: WeightedIndex;
  private readonly v6Index: WeightedIndex | null;

  constructor(
    readonly v4: readonly string[],
    v4Weights: readonly number[],
    readonly v6: readonly string[],
    v6Weights: readonly number[],
  ) {
    this.v4Index = new WeightedIndex(v4Weights);
    this.v6Index = v6.length > 0 ? new WeightedIndex(v6Weights) : null;
  }

  /** Fill `into` with `count` distinct servers of the family, busier volunteers more often. */
  draw(rng: Prng, count: number, v6: boolean, into: string[]): void {
    into.length = 0;
    const pool = v6 ? this.v6 : this.v4;
    const index = v6 ? this.v6Index : this.v4Index;
    if (index === null) return;
    const n = Math.min(count, pool.length);
    while (into.length < n) {
      const server = pool[index.draw(rng)] as string;
      if (!into.includes(server)) into.push(server);
    }
  }
}

export interface NtpPoolSetup {
  label: NameLabel;
  zone: NtpZone;
  /** Whether the name has AAAA records (the `2.` names). */
  aaaa: boolean;
  perAnswer: number;
  ttl: number;
  phase: number;
  servers: ZoneServers;
}

export class NtpPoolName implements DomainBehaviour {
  readonly label: NameLabel;
  private readonly setup: NtpPoolSetup;
  private readonly clock: RrsetClock;
  private readonly currentV4: string[] = [];
  private readonly currentV6: string[] = [];

  constructor(setup: NtpPoolSetup) {
    this.label = setup.label;
    this.setup = setup;
    this.clock = new RrsetClock(setup.ttl, setup.phase);
  }

  respond(ts: number, qtype: QueryType, out: ResponseBuilder, rng: Prng): void {
    const { zone, perAnswer, aaaa, servers } = this.setup;
    if (this.clock.refresh(ts)) {
      zone.draw(rng, perAnswer, false, this.currentV4);
      if (aaaa) zone.draw(rng, perAnswer, true, this.currentV6);
    }
    const ttl = this.clock.remaining(ts);
    const answer = qtype === 'A' ? this.currentV4 : this.currentV6;
    for (let i = 0; i < answer.length; i++) out.answer(this.label.name, qtype, answer[i] as string, ttl);
    if (out.withAuthority) appendServers(servers, out);
  }
}
