/**
 * benign-static: an ordinary site or service on one or two stable hosting
 * addresses (sometimes with an AAAA), long TTLs. Nothing changes over the
 * whole corpus except the cached TTL counting down.
 */
import type { NameLabel } from '../labels.js';
import type { ResponseBuilder } from '../response.js';
import type { DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import { appendServers, remainingTtl } from './behaviour.js';

export interface BenignStaticSetup {
  label: NameLabel;
  v4: readonly string[];
  /** Empty when the name has no AAAA. */
  v6: readonly string[];
  ttl: number;
  phase: number;
  servers: ZoneServers;
}

export class BenignStatic implements DomainBehaviour {
  readonly label: NameLabel;
  private readonly v4: readonly string[];
  private readonly v6: readonly string[];
  private readonly ttl: number;
  private readonly phase: number;
  private readonly servers: ZoneServers;

  constructor(setup: BenignStaticSetup) {
    this.label = setup.label;
    this.v4 = setup.v4;
    this.v6 = setup.v6;
    this.ttl = setup.ttl;
    this.phase = setup.phase;
    this.servers = setup.servers;
  }

  respond(ts: number, qtype: QueryType, out: ResponseBuilder): void {
    const addresses = qtype === 'A' ? this.v4 : this.v6;
    const ttl = remainingTtl(this.ttl, this.phase, ts);
    for (let i = 0; i < addresses.length; i++) out.answer(this.label.name, qtype, addresses[i] as string, ttl);
    if (out.withAuthority) appendServers(this.servers, out);
  }
}
