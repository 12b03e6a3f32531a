/**
 * non-routable: a name whose answers no public host stands behind. Parked at
 * 0.0.0.0 or 127.0.0.1 (blocked upstream), a leaked internal name with
 * private addresses, or answers drawn from reserved, multicast, benchmarking,
 * shared (CGN) and documentation space: rotating (a different address at
 * every refetch, low TTL) or spread over many special-purpose blocks. The
 * resolver caches them like any RRset, so the TTL counts down.
 */
import type { NameLabel } from '../labels.js';
import type { Prng } from '../prng.js';
import type { ResponseBuilder } from '../response.js';
import { addressIn } from '../special-purpose.js';
import type { DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import { RrsetClock, appendServers } from './behaviour.js';

export interface NonRoutableSetup {
  label: NameLabel;
  /**
   * Fixed answers (parked, leaked internal names): when set, `blocks` are not
   * drawn from. Empty lists answer no data for that family.
   */
  fixed: { v4: readonly string[]; v6: readonly string[] } | null;
  /** Special-purpose CIDRs each drawn address comes from, one block picked per address. */
  blocks: readonly string[];
  blocksV6: readonly string[];
  /** Addresses per drawn answer. */
  perAnswer: number;
  ttl: number;
  phase: number;
  /** The zone's NS set; null when an upstream's block answers (no authority). */
  servers: ZoneServers | null;
}

export class NonRoutableName implements DomainBehaviour {
  readonly label: NameLabel;
  private readonly setup: NonRoutableSetup;
  private readonly clockV4: RrsetClock;
  private readonly clockV6: RrsetClock;
  private readonly currentV4: string[] = [];
  private readonly currentV6: string[] = [];

  constructor(setup: NonRoutableSetup) {
    this.label = setup.label;
    this.setup = setup;
    this.clockV4 = new RrsetClock(setup.ttl, setup.phase);
    this.clockV6 = new RrsetClock(setup.ttl, setup.phase);
  }

  respond(ts: number, qtype: QueryType, out: ResponseBuilder, rng: Prng): void {
    const s = this.setup;
    const v4 = qtype === 'A';
    const clock = v4 ? this.clockV4 : this.clockV6;
    const current = v4 ? this.currentV4 : this.currentV6;
    if (clock.refresh(ts)) {
      if (s.fixed !== null) {
        current.length = 0;
        current.push(...(v4 ? s.fixed.v4 : s.fixed.v6));
      } else drawFromBlocks(v4 ? s.blocks : s.blocksV6, s.perAnswer, rng, current);
    }
    const ttl = clock.remaining(ts);
    for (let i = 0; i < current.length; i++) out.answer(this.label.name, qtype, current[i] as string, ttl);
    if (out.withAuthority && s.servers !== null) appendServers(s.servers, out);
  }
}

/** `count` distinct addresses, each from a block picked at random; none when there are no blocks. */
function drawFromBlocks(blocks: readonly string[], count: number, rng: Prng, into: string[]): void {
  into.length = 0;
  if (blocks.length === 0) return;
  for (let tries = 0; into.length < count && tries < count * 4; tries++) {
    const address = addressIn(blocks[rng.int(blocks.length)] as string, rng);
    if (!into.includes(address)) into.push(address);
  }
}
