/**
 * injected: a benign name a censoring middlebox answers for. The middlebox
 * sits between the clients and their resolver and races the real answer:
 * every lookup gets ONE address drawn afresh from the middlebox's pool
 * (addresses in the ranges of a few large single-tenant platforms and
 * carriers), with the middlebox's fixed TTL, which never counts down because
 * nothing is cached: the answer changes on every lookup whatever the TTL
 * says. AAAA lookups get a platform IPv6 address, or nothing when the
 * middlebox has none. The middlebox writes no authority section.
 *
 * The real answer (the zone's own stable addresses, cached, TTL counting
 * down) often arrives after the forged one, with the same query ID: it goes
 * into the exchange's `late` response, which only capture formats carry.
 */
import type { NameLabel } from '../labels.js';
import type { Prng } from '../prng.js';
import type { ResponseBuilder } from '../response.js';
import type { DomainBehaviour, QueryType } from './behaviour.js';
import { remainingTtl } from './behaviour.js';

/** One censoring middlebox: what it injects and how. */
export interface Middlebox {
  /** IPv4 addresses it injects, one drawn per lookup. */
  v4: readonly string[];
  /** IPv6 addresses it injects for AAAA lookups; empty: it answers AAAA with no data. */
  v6: readonly string[];
  /** The TTL every injected record carries, the same on every lookup. */
  ttl: number;
  /** Share of lookups after which the real answer also arrives (the late second response). */
  lateShare: number;
}

/** What the censored name's own zone answers (the late response). */
export interface RealAnswer {
  v4: readonly string[];
  v6: readonly string[];
  ttl: number;
  phase: number;
}

export interface InjectedSetup {
  label: NameLabel;
  middlebox: Middlebox;
  real: RealAnswer;
}

export class InjectedName implements DomainBehaviour {
  readonly label: NameLabel;
  private readonly middlebox: Middlebox;
  private readonly real: RealAnswer;

  constructor(setup: InjectedSetup) {
    this.label = setup.label;
    this.middlebox = setup.middlebox;
    this.real = setup.real;
  }

  respond(ts: number, qtype: QueryType, out: ResponseBuilder, rng: Prng): void {
    const mb = this.middlebox;
    const forged = qtype === 'A' ? mb.v4 : mb.v6;
    // No cache, no TTL logic: a fresh draw on every lookup, with the same TTL.
    if (forged.length > 0) out.answer(this.label.name, qtype, forged[rng.int(forged.length)] as string, mb.ttl);
    if (!rng.chance(mb.lateShare)) return;
    const real = qtype === 'A' ? this.real.v4 : this.real.v6;
    const ttl = remainingTtl(this.real.ttl, this.real.phase, ts);
    for (let i = 0; i < real.length; i++) out.late(this.label.name, qtype, real[i] as string, ttl);
  }
}
