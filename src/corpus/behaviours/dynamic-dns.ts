/**
 * dynamic-dns: a home user's name under a dynamic-DNS provider
 * (`nas.duckdns.org`, `x7k2….myfritz.net`). The router updates one A record
 * (TTL 60) with the line's current address; the ISP renumbers the line every
 * few hours (a forced reconnect, a lease change), and rarely the user moves
 * to another ISP. Low TTL and changing addresses, like flux, but one address
 * at a time in one access network.
 */
import type { NameLabel } from '../labels.js';
import type { Prng } from '../prng.js';
import type { ResponseBuilder } from '../response.js';
import type { DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import { RrsetClock, appendServers, remainingTtl } from './behaviour.js';

/** Where home lines get their addresses: access networks and an address inside one. */
export interface AccessNetworks {
  readonly asns: readonly number[];
  addressV4(asn: number, rng: Prng): string;
  /** '' when the network has no IPv6. */
  addressV6(asn: number, rng: Prng): string;
}

export interface DynamicDnsSetup {
  label: NameLabel;
  networks: AccessNetworks;
  /** The line's ISP and its first addresses. */
  asn: number;
  v4: string;
  /** '' when the user publishes no AAAA. */
  v6: string;
  /** Seconds between renumberings of the line. */
  leaseSeconds: number;
  /** Chance that a renumbering is a move to another ISP. */
  moveChance: number;
  ttl: number;
  phase: number;
  servers: ZoneServers;
}

export class DynamicDnsName implements DomainBehaviour {
  readonly label: NameLabel;
  private readonly setup: DynamicDnsSetup;
  private readonly lease: RrsetClock;
  private started = false;
  private asn: number;
  private v4: string;
  private v6: string;

  constructor(setup: DynamicDnsSetup) {
    this.label = setup.label;
    this.setup = setup;
    this.lease = new RrsetClock(setup.leaseSeconds, setup.phase);
    this.asn = setup.asn;
    this.v4 = setup.v4;
    this.v6 = setup.v6;
  }

  respond(ts: number, qtype: QueryType, out: ResponseBuilder, rng: Prng): void {
    const s = this.setup;
    // Renumberings between two lookups are invisible: one new address covers them.
    if (this.lease.refresh(ts)) {
      if (this.started) this.renumber(rng);
      this.started = true;
    }
    const address = qtype === 'A' ? this.v4 : this.v6;
    if (address !== '') out.answer(this.label.name, qtype, address, remainingTtl(s.ttl, s.phase, ts));
    if (out.withAuthority) appendServers(s.servers, out);
  }

  private renumber(rng: Prng): void {
    const { networks, moveChance } = this.setup;
    if (networks.asns.length > 1 && rng.chance(moveChance)) {
      let next = this.asn;
      while (next === this.asn) next = rng.pick(networks.asns);
      this.asn = next;
    }
    this.v4 = networks.addressV4(this.asn, rng);
    if (this.v6 !== '') this.v6 = networks.addressV6(this.asn, rng);
  }
}
