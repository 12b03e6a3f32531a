/**
 * cdn: a customer name CNAMEd into a CDN (Akamai, Cloudflare, Fastly,
 * CloudFront). Addresses change often and TTLs are short, like flux, but they
 * come from a small edge set inside the CDN's own AS: the classic false
 * positive a flux detector has to survive.
 */
import type { NameLabel } from '../labels.js';
import type { Prng } from '../prng.js';
import type { ResponseBuilder } from '../response.js';
import type { CnameLink, DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import { RrsetClock, appendChain, appendServers } from './behaviour.js';

export interface CdnSetup {
  label: NameLabel;
  /** qname → chain[0].target → chain[1].target ...; the last target owns the addresses. */
  chain: readonly CnameLink[];
  /** The edge addresses this customer is mapped to. */
  edgesV4: readonly string[];
  /** Empty when the CDN hostname is IPv4-only. */
  edgesV6: readonly string[];
  perAnswer: number;
  addressTtl: number;
  phase: number;
  servers: ZoneServers;
}

export class Cdn implements DomainBehaviour {
  readonly label: NameLabel;
  private readonly setup: CdnSetup;
  private readonly clock: RrsetClock;
  /** Index into the edge lists of the current answer's first address. */
  private first = 0;

  constructor(setup: CdnSetup) {
    this.label = setup.label;
    this.setup = setup;
    this.clock = new RrsetClock(setup.addressTtl, setup.phase);
  }

  respond(ts: number, qtype: QueryType, out: ResponseBuilder, rng: Prng): void {
    const owner = appendChain(this.label.name, this.setup.chain, this.setup.phase, ts, out);
    const edges = qtype === 'A' ? this.setup.edgesV4 : this.setup.edgesV6;
    if (this.clock.refresh(ts)) this.first = rng.int(this.setup.edgesV4.length);
    const ttl = this.clock.remaining(ts);
    const count = Math.min(this.setup.perAnswer, edges.length);
    for (let i = 0; i < count; i++) {
      out.answer(owner, qtype, edges[(this.first + i) % edges.length] as string, ttl);
    }
    if (out.withAuthority) appendServers(this.setup.servers, out);
  }
}
