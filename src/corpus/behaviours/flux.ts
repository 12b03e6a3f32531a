/**
 * flux-single and flux-double: names whose A records are drawn, at every
 * cache refetch, from a flux service network's pool of compromised home
 * machines spread over many access networks and countries, with TTLs of
 * 0-300 s. Double flux also rotates the zone's name servers, whose glue comes
 * from the same pool; some double-flux names are CNAMEs to another fluxing name.
 */
import type { NameLabel } from '../labels.js';
import type { Prng } from '../prng.js';
import type { ResponseBuilder } from '../response.js';
import type { DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import { RrsetClock, appendServers, drawDistinct, remainingTtl } from './behaviour.js';

/** A flux service network: one pool of bots serving many domains. */
export class FluxNetwork {
  constructor(
    readonly id: string,
    readonly pool: readonly string[],
  ) {}

  /** Fill `into` with `count` distinct pool addresses. */
  draw(rng: Prng, count: number, into: string[]): void {
    drawDistinct(this.pool, count, rng, into);
  }
}

/** The name servers of one flux zone: fixed (single flux) or rotating over bots (double flux). */
export class FluxZoneServers {
  private readonly clock: RrsetClock | null;
  private readonly current: { zone: string; ns: string[]; glue: string[]; ttl: number };

  /**
   * `rotatingNs` null: the fixed `servers` answer (single flux, usually a
   * bulletproof DNS host). Otherwise `perAnswer` names of `rotatingNs` are
   * picked, with glue from the network's pool, at every NS refetch.
   */
  constructor(
    private readonly network: FluxNetwork,
    servers: ZoneServers,
    private readonly rotatingNs: readonly string[] | null,
    private readonly perAnswer: number,
    phase: number,
  ) {
    this.clock = rotatingNs === null ? null : new RrsetClock(servers.ttl, phase);
    this.current = { zone: servers.zone, ns: [...servers.ns], glue: [...servers.glue], ttl: servers.ttl };
  }

  append(ts: number, out: ResponseBuilder, rng: Prng): void {
    if (this.clock !== null && this.rotatingNs !== null) {
      if (this.clock.refresh(ts)) {
        const names = this.current.ns;
        names.length = 0;
        while (names.length < this.perAnswer) {
          const ns = rng.pick(this.rotatingNs);
          if (!names.includes(ns)) names.push(ns);
        }
        this.network.draw(rng, names.length, this.current.glue);
      }
      this.current.ttl = this.clock.remaining(ts);
    }
    appendServers(this.current, out);
  }
}

export interface FluxNameSetup {
  label: NameLabel;
  network: FluxNetwork;
  servers: FluxZoneServers;
  ttl: number;
  /** A records per answer, drawn in [min, max] at each refetch. */
  perAnswer: readonly [number, number];
  phase: number;
}

export class FluxName implements DomainBehaviour {
  readonly label: NameLabel;
  private readonly setup: FluxNameSetup;
  private readonly clock: RrsetClock;
  private readonly current: string[] = [];
  private cname: { target: FluxName; ttl: number } | null = null;

  constructor(setup: FluxNameSetup) {
    this.label = setup.label;
    this.setup = setup;
    this.clock = new RrsetClock(setup.ttl, setup.phase);
  }

  /** The fluxing name this one is a CNAME to, or null. */
  get aliasTarget(): string | null {
    return this.cname === null ? null : this.cname.target.label.name;
  }

  /** Make this name a CNAME to another fluxing name (whose addresses and servers then answer). */
  aliasTo(target: FluxName, ttl: number): void {
    this.cname = { target, ttl };
  }

  respond(ts: number, qtype: QueryType, out: ResponseBuilder, rng: Prng): void {
    let owner: FluxName = this;
    if (this.cname !== null) {
      out.answer(this.label.name, 'CNAME', this.cname.target.label.name, remainingTtl(this.cname.ttl, this.setup.phase, ts));
      owner = this.cname.target;
    }
    // The pools are IPv4 only, as most residential flux seen in the wild: AAAA answers are empty.
    if (qtype === 'A') owner.appendAddresses(ts, out, rng);
    if (out.withAuthority) owner.setup.servers.append(ts, out, rng);
  }

  private appendAddresses(ts: number, out: ResponseBuilder, rng: Prng): void {
    if (this.clock.refresh(ts)) {
      const [min, max] = this.setup.perAnswer;
      this.setup.network.draw(rng, rng.range(min, max), this.current);
    }
    const ttl = this.clock.remaining(ts);
    for (let i = 0; i < this.current.length; i++) out.answer(this.label.name, 'A', this.current[i] as string, ttl);
  }
}
