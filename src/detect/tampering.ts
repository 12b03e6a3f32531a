/**
 * tampering: answers a censoring middlebox (or an on-path attacker) made up,
 * recognised per answer before they reach a domain's state, and the finding
 * they add to a verdict. Injected answers are not the domain's: they never
 * count as its address diversity and never enter flux networks. See
 * README.md, "Tampering".
 *
 * Signs, each counted per name:
 * - platform: an answer address in a single-tenant platform's network
 *   (data/reference/platform-networks.txt) for a name that platform does not
 *   serve (neither the name nor a CNAME target of the answer is under one of
 *   its domains). Those addresses are left out of the state.
 * - fixed TTL: the answer changed before the previous answer's TTL ran out,
 *   for the same client asking again, while the TTL stayed exactly the same
 *   (> 0): no cache between that client and whoever answered. A caching resolver (any number of clients)
 *   counts the TTL down; TTL 0 is never this sign. Once a name has a
 *   platform-injected answer, answers with this sign are left out too.
 * - conflict: a second, different response to one query in a capture
 *   (DnsObservation.conflict, set by the pcap and dnstap sources).
 */
import type { Infra } from '../enrich/infra/index.js';
import type { Tampering as TamperingFinding } from '../model/verdict.js';
import { ADDRESS_STRIDE, findAddress, K_LAST_ANSWER, K_LAST_SEEN, K_TTL, type AddressTable } from './address-table.js';
import { AddressSlots } from './address-slots.js';
import type { ObservationDigest } from './digest.js';
import type { FluxState } from './state.js';

/**
 * Queries answered twice with different answers make a name `injected` (not
 * one poisoned lookup) from this many on, when they are also at least one
 * lookup in CONFLICT_SHARE: an injector racing the real answer does it on
 * every lookup it sees.
 */
export const MIN_CONFLICTS = 2;
const CONFLICT_SHARE = 8;
/** At most this many platform ASNs are remembered per name, for the reason. */
const MAX_ASNS = 4;
/** The fixed-TTL sign needs at least this many changes before expiry... */
export const MIN_FIXED_TTL_CHANGES = 3;
/** ...and lookups at least this far apart (seconds), or a TTL has no time to count down. */
const MIN_ELAPSED = 2;

/** What a name's answers showed of tampering; made on the first sign (most names never have one). */
export class TamperingSigns {
  /** Answers with at least one address in a platform network that does not serve the name. */
  platformAnswers = 0;
  /** Of those, answers with nothing else (left out of the state entirely). */
  platformOnly = 0;
  /** Platform ASNs seen (first MAX_ASNS), and their platform indexes. */
  readonly asns: number[] = [];
  readonly platforms: number[] = [];
  /** Answers that changed before the previous TTL ran out, with the same TTL. */
  fixedTtlChanges = 0;
  /** The TTL those answers carried (the last one). */
  fixedTtl = 0;
  /** Of them, answers left out of the state (the name had platform answers already). */
  fixedTtlSkipped = 0;
  /** Second, different responses to one query (DnsObservation.conflict). */
  conflicts = 0;
  /** Client hash (ObservationDigest.clientHash, 0 unknown) of the name's last answer. */
  lastClient = -1;
}

/**
 * What inspect() found in the current observation for one state (module
 * scratch, overwritten on every call: nothing is allocated per answer).
 */
export const inspection = {
  /** Addresses of the answer that are injected (platform sign). */
  injected: 0,
  /** The whole answer is left out of the state. */
  skip: false,
  /**
   * Slot of address i in the state's table when inspected (-1 none), so
   * absorbing does not search again; check the key still matches (an
   * insertion may have evicted it since).
   */
  slots: [] as number[],
};

/** Answers of at least this many addresses, against tables of at least INDEX_TABLE, are looked up through an index. */
const INDEX_ANSWERS = 2;
const INDEX_TABLE = 8;
const tableSlots = new AddressSlots();

/**
 * Look at the answer of `digest` for `state` before it is absorbed: which
 * addresses are platform-injected (digest.isInjected, looked up once per
 * address per observation and only for addresses the state does not hold),
 * and for a name whether the answer changed before its TTL ran out with the
 * TTL standing still. Records the signs on the state; returns `inspection`.
 */
export function inspect(state: FluxState, digest: ObservationDigest): typeof inspection {
  const list = digest.addresses;
  const table = state.addresses;
  inspection.injected = 0;
  inspection.skip = false;
  const known = state.marks.tampering;
  const previousClient = known === null ? -1 : known.lastClient;
  if (known !== null && state.scope === 'name') known.lastClient = digest.clientHash;
  let fromPrevious = 0;
  let novel = 0;
  let previousSeen = -1;
  let previousTtl = -1;
  let ttlNow = -1;
  // A flux name's answer of many addresses against its table of many: one pass to index, not one per address.
  const indexed = table !== null && list.size >= INDEX_ANSWERS && table.length >= INDEX_TABLE * ADDRESS_STRIDE;
  if (indexed) tableSlots.index(table);
  for (let i = 0; i < list.size; i++) {
    const key = list.keys[i]!;
    const ttl = list.ttls[i]!;
    const slot = table === null ? -1 : indexed ? tableSlots.find(key) : findAddress(table, key);
    inspection.slots[i] = slot;
    if (slot < 0) {
      if (digest.isInjected(i)) {
        inspection.injected++;
        continue;
      }
      novel++;
    } else if (table![slot + K_LAST_ANSWER] === state.answers) {
      fromPrevious++;
      previousSeen = table![slot + K_LAST_SEEN] as number;
      previousTtl = table![slot + K_TTL] as number;
    }
    if (ttl >= 0 && (ttlNow < 0 || ttl < ttlNow)) ttlNow = ttl;
  }
  const clean = list.size - inspection.injected;
  if (inspection.injected > 0) {
    const signs = signsOf(state);
    if (state.scope === 'name') signs.lastClient = digest.clientHash;
    signs.platformAnswers++;
    if (clean === 0) signs.platformOnly++;
    notePlatformAsns(signs, digest);
    if (clean === 0) {
      inspection.skip = true;
      return inspection;
    }
  }
  // The TTL sign compares successive answers of one name carrying TTLs.
  // TTL 0 never shows the sign (and fast flux uses it): nothing more to look at.
  if (state.scope !== 'name' || !digest.hasTtls || state.previousAnswerSize === 0 || ttlNow <= 0) return inspection;
  const changed = novel > 0 || fromPrevious < state.previousAnswerSize;
  if (previousSeen < 0) {
    // Nothing of the previous answer is in this one: find its time and TTL among the slots it left.
    const slot = previousAnswerSlot(table, state.answers);
    if (slot < 0) return inspection;
    previousSeen = table![slot + K_LAST_SEEN] as number;
    previousTtl = table![slot + K_TTL] as number;
  }
  if (ttlNow !== previousTtl) {
    state.ttlMoved = true;
    return inspection;
  }
  const elapsed = digest.seen - previousSeen;
  // A cache that prefetches re-asks near the end of a TTL (Unbound at 90% of it, BIND with 2 s left):
  // a change in that last tenth (at least 2 s) is no sign. Nor is a client no source could name (hash 0).
  if (!changed || ttlNow <= 0 || elapsed < MIN_ELAPSED || elapsed >= ttlNow - Math.max(2, ttlNow / 10) || digest.clientHash === 0) return inspection;
  // Only the same client, asking again, shows that nothing caches: different clients of one sensor
  // (many resolvers above an ISP, an authority's GeoDNS answers) get fresh answers legitimately.
  // The first candidate only starts the record, with its client.
  if (known === null) {
    signsOf(state).lastClient = digest.clientHash;
    return inspection;
  }
  if (previousClient !== digest.clientHash) return inspection;
  const signs = known;
  signs.fixedTtlChanges++;
  signs.fixedTtl = ttlNow;
  // A name already answered into platform networks it has nothing to do with: this answer is made up too.
  if (signs.platformAnswers > 0) {
    signs.fixedTtlSkipped++;
    inspection.skip = true;
  }
  return inspection;
}

/** A second, different response to one query (the source marked the observation). */
export function noteConflict(state: FluxState): void {
  signsOf(state).conflicts++;
}

function signsOf(state: FluxState): TamperingSigns {
  const marks = state.mark();
  return marks.tampering ?? (marks.tampering = new TamperingSigns());
}

function notePlatformAsns(signs: TamperingSigns, digest: ObservationDigest): void {
  const list = digest.addresses;
  for (let i = 0; i < list.size && signs.asns.length < MAX_ASNS; i++) {
    if (!digest.isInjected(i)) continue;
    const asn = list.asn(i);
    if (signs.asns.indexOf(asn) === -1) {
      signs.asns.push(asn);
      signs.platforms.push(list.platform(i));
    }
  }
}

function previousAnswerSlot(table: AddressTable | null, answerNo: number): number {
  if (table === null) return -1;
  for (let i = 0; i < table.length; i += ADDRESS_STRIDE) if (table[i + K_LAST_ANSWER] === answerNo) return i;
  return -1;
}

/** The fixed-TTL sign holds: enough changes before expiry, most of the changes, and the TTL never moved. */
export function fixedTtlHolds(signs: TamperingSigns, state: FluxState): boolean {
  const changes = state.churnCount + signs.fixedTtlSkipped;
  return !state.ttlMoved && signs.fixedTtlChanges >= MIN_FIXED_TTL_CHANGES && signs.fixedTtlChanges * 2 >= changes;
}

/**
 * The name is answered by something that is not its DNS (the finding would
 * be `injected`): its answers are not its own, so it is never flux, never a
 * flux network's member, and its answers stay out of its registered domain's
 * union from then on. Cheap: for every re-score.
 */
export function answersInjected(state: FluxState): boolean {
  const signs = state.marks.tampering;
  if (state.scope !== 'name' || signs === null) return false;
  // Most responses were wholly the platform's (an answer mixing a few platform addresses into the name's own is still its own).
  if (signs.platformOnly > 0 && signs.platformOnly * 2 >= state.answers + signs.platformOnly + signs.fixedTtlSkipped) return true;
  return fixedTtlHolds(signs, state) || conflictsInject(signs, state);
}

/** Second, different responses to the same query are the name's usual answer, not a slip: an injector races its resolver. */
function conflictsInject(signs: TamperingSigns, state: FluxState): boolean {
  return signs.conflicts >= MIN_CONFLICTS && signs.conflicts * CONFLICT_SHARE >= state.lookups;
}

/** The name has a finding to report (tamperingFinding would not be undefined): cheap, for the end-of-input check. */
export function hasTamperingFinding(state: FluxState): boolean {
  const signs = state.marks.tampering;
  return state.scope === 'name' && signs !== null && (signs.platformAnswers > 0 || signs.conflicts > 0 || fixedTtlHolds(signs, state));
}

/**
 * The finding for a verdict; undefined when the name shows no sign (or only a
 * fixed-TTL count too small to mean anything).
 *
 * `injected`: most answers pointed into platform networks that do not serve
 * the name, or the fixed-TTL sign holds — the name is answered by something
 * that is not its DNS. `poisoned`: the name's answers are otherwise its own
 * and stable, and a minority of them (a platform answer, a second different
 * response to one query) were not: a cache or a lookup was poisoned.
 */
export function tamperingFinding(state: FluxState, infra: Infra | null): TamperingFinding | undefined {
  const signs = state.marks.tampering;
  // A finding is about the name that was answered; a registered domain's union repeats its names'.
  if (signs === null || state.scope !== 'name') return undefined;
  const reasons: string[] = [];
  const total = state.answers + signs.platformOnly + signs.fixedTtlSkipped;
  let injected = false;
  if (signs.platformAnswers > 0) {
    const networks = signs.asns.map((asn, i) => `AS${asn} ${infra === null ? '' : infra.platformName(signs.platforms[i]!)}`.trim()).join(', ');
    reasons.push(
      `${signs.platformAnswers} of ${total} answers point into single-tenant platform networks (${networks}) that do not serve this domain`,
    );
    // Only when most responses were wholly the platform's: a flux answer that mixes one platform address into
    // its own bots is still the domain's answer (poisoned at most), so it stays flux and blockable.
    if (signs.platformOnly * 2 >= total) injected = true;
  }
  if (fixedTtlHolds(signs, state)) {
    const changes = state.churnCount + signs.fixedTtlSkipped;
    reasons.push(`the answer changed on ${signs.fixedTtlChanges} of ${changes} lookups before its TTL of ${signs.fixedTtl} s ran out, and the TTL never counted down`);
    injected = true;
  }
  if (signs.conflicts > 0) {
    if (conflictsInject(signs, state)) injected = true;
    reasons.push(
      signs.conflicts === 1
        ? '2 responses to one query with different answers (on-path injection)'
        : `${signs.conflicts} queries answered twice with different answers (on-path injection)`,
    );
  }
  if (reasons.length === 0) return undefined;
  const answers = signs.platformAnswers + (fixedTtlHolds(signs, state) ? signs.fixedTtlChanges : 0) + signs.conflicts;
  return { kind: injected ? 'injected' : 'poisoned', reasons, answers };
}
