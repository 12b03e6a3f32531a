/**
 * absorb: fold one digested observation into a domain's state. The only
 * place state changes; features read it, never write it.
 */
import type { Config } from '../config/schema.js';
import type { DnsObservation } from '../model/observation.js';
import {
  countTable,
  newCounts,
  findAddress,
  insertAddress,
  isFull,
  K_LAST_ANSWER,
  K_LAST_SEEN,
  K_PROVIDER,
  K_TTL,
  type AddressEntry,
  type AddressKey,
  type AddressTable,
  type TableCounts,
} from './address-table.js';
import { isNovel } from './departed.js';
import type { AddressList, ObservationDigest } from './digest.js';
import { IntelEvidence } from './intel-evidence.js';
import { addHash, addName, Delegation, detach, indexOfName, NO_SCORE_MEMO, REPUTATION_POOL, REPUTATION_TOP_SHIFT, type FluxState } from './state.js';
import { answersInjected, inspect, inspection, noteConflict } from './tampering.js';

const windowCounts: TableCounts = newCounts();
/** Seconds in the long horizon's day. */
const DAY = 86_400;
const entry: AddressEntry = { key: 0, asn: 0, country: '', ttl: -1, provider: -1 };

export function absorb(state: FluxState, obs: DnsObservation, digest: ObservationDigest, config: Config): void {
  // Any observation may change what the score reads (lookups, TTLs, churn), dirty or not.
  state.scoreMemo = NO_SCORE_MEMO;
  const seen = Math.floor(obs.ts);
  if (seen > state.lastSeen) state.lastSeen = seen;
  const first = Math.floor(obs.firstSeen);
  if (first < state.firstSeen) state.firstSeen = first;
  state.lookups += obs.count;
  // Evidence fluxhound fetched itself is told apart in the verdict (Verdict.probes).
  if (obs.origin === 'probe') state.mark().probes += obs.count;
  if (digest.clientHash !== 0) {
    const bit = digest.clientHash & 63;
    if (bit < 32) state.clientBitsLow |= 1 << bit;
    else state.clientBitsHigh |= 1 << (bit - 32);
  }
  if (obs.conflict === true && state.scope === 'name') noteConflict(state);
  if (digest.addresses.size > 0) {
    // Injected answers are not the domain's: left out before they count as its addresses (tampering.ts).
    const found = inspect(state, digest);
    // Once a name is found answered by an injector, none of its answers feed its registered domain's union.
    if (state.scope === 'name') digest.answerLeftOut = found.skip || answersInjected(state);
    if (!found.skip && (state.scope === 'name' || !digest.answerLeftOut)) absorbAnswer(state, digest, seen, obs.count, config, found.injected);
  }
  if (digest.addresses.nonRoutable > 0) noteNonRoutable(state, digest.addresses, obs.count);
  if (digest.delegationSignature !== 0) {
    const d = state.delegation;
    if (d === null || d.lastSignature !== digest.delegationSignature) absorbDelegation(state, digest, seen, config);
  }
}

function absorbAnswer(state: FluxState, digest: ObservationDigest, seen: number, count: number, config: Config, injected: number): void {
  const list = digest.addresses;
  const answerNo = ++state.answers;
  let table = state.addresses;
  const cap = config.limits.maxAddressesPerDomain;
  /** Inserted into the table (new, or returning after it left). */
  let fresh = 0;
  /** Never seen before: what the distinct count adds. */
  let novel = 0;
  let inPrevious = 0;
  /** Addresses of this answer that are not a known CDN's or cloud's. */
  let own = 0;
  for (let i = 0; i < list.size; i++) {
    const key = list.keys[i]!;
    const ttl = list.ttls[i]!;
    // Found by inspect(); an insertion earlier in this loop may have evicted it.
    let slot = inspection.slots[i]!;
    if (slot >= 0 && table![slot] !== key) slot = findAddress(table!, key);
    if (slot < 0 && injected > 0 && digest.isInjected(i)) continue;
    if (slot >= 0) {
      const t = table!;
      if (t[slot + K_LAST_ANSWER] === answerNo - 1) inPrevious++;
      if (seen > (t[slot + K_LAST_SEEN] as number)) t[slot + K_LAST_SEEN] = seen;
      t[slot + K_LAST_ANSWER] = answerNo;
      if (ttl >= 0) t[slot + K_TTL] = ttl;
      if ((t[slot + K_PROVIDER] as number) < 0) own++;
    } else {
      list.entry(i, entry);
      entry.key = stored(key);
      if (entry.provider < 0) own++;
      if (isNovel(state.departed, key)) {
        novel++;
        if (entry.provider >= 0) state.knownEver++;
        else if (list.intel !== null && state.scope === 'name' && list.isIntelListed(i)) noteIntelAddress(state, digest, i);
      }
      const departed = state.departed ?? (isFull(table, cap) ? state.startDeparted() : null);
      table = state.addresses = insertAddress(table ?? [], cap, entry, seen, answerNo, departed);
      fresh++;
    }
    if (ttl >= 0) {
      state.ttlSamples += count;
      if (ttl < config.lowTtl) state.ttlLowSamples += count;
      if (state.ttlMin < 0 || ttl < state.ttlMin) state.ttlMin = ttl;
    }
  }
  // Churn compares successive answers of one name; aggregated passive-DNS
  // tuples (one rdata each, no TTL) and registered-domain unions have no such sequence.
  if (state.scope === 'name' && digest.hasTtls) {
    if (state.previousAnswerSize > 0) {
      const union = list.size - injected + state.previousAnswerSize - inPrevious;
      state.churnMilli += Math.round(1000 * (1 - inPrevious / union));
      state.churnCount++;
    }
    state.previousAnswerSize = list.size - injected;
  }
  if (own > state.answerSizeMax) state.answerSizeMax = own;
  if (novel > 0) state.answersNew++;
  if (fresh > 0) {
    state.addressesEver += novel;
    state.unscored += fresh;
    // Re-scoring on every new address of a domain that already has many costs more than it tells
    // (CDN edge sets rotate all day): beyond 16, score again after each eighth more.
    if (state.addressesEver <= 16 || state.unscored * 8 >= state.addressesEver) state.dirty = true;
    const since = seen - config.window;
    countTable(table, since, windowCounts);
    // An address seen within the window has left the table: this window holds more than it shows.
    const departed = state.departed;
    if (departed !== null && departed.lastSeen >= since) departed.windowInexact = true;
    const unknown = windowCounts.addresses - windowCounts.known;
    if (unknown > state.windowAddressesPeak) state.windowAddressesPeak = unknown;
    if (windowCounts.asns > state.windowAsnsPeak) state.windowAsnsPeak = windowCounts.asns;
    if (windowCounts.countries > state.windowCountriesPeak) state.windowCountriesPeak = windowCounts.countries;
    // The long horizon: the same peaks within one day (slow flux shows its spread over hours, not within one window).
    countTable(table, seen - DAY, windowCounts);
    const dayUnknown = windowCounts.addresses - windowCounts.known;
    if (dayUnknown > state.dayAddressesPeak) state.dayAddressesPeak = dayUnknown;
    if (windowCounts.asns > state.dayAsnsPeak) state.dayAsnsPeak = windowCounts.asns;
    if (windowCounts.countries > state.dayCountriesPeak) state.dayCountriesPeak = windowCounts.countries;
  }
}

/**
 * A never-seen answer address a feed lists as flux infrastructure: counted
 * once (exact, like the distinct addresses), its listing kept if among the
 * most specific. Names only: a registered domain's union would echo its
 * names' evidence. Never for a known pool or top site (their reputation wins,
 * as the CDN/cloud test wins for addresses) nor an allowlisted name.
 */
function noteIntelAddress(state: FluxState, digest: ObservationDigest, i: number): void {
  if ((state.reputation & REPUTATION_POOL) !== 0 || state.reputation >> REPUTATION_TOP_SHIFT > 0) return;
  const marks = state.mark();
  let evidence = marks.intel;
  if (evidence === null) {
    evidence = marks.intel = new IntelEvidence();
    evidence.allowlisted = digest.isAllowlisted !== null && digest.isAllowlisted(state.key);
  }
  if (evidence.allowlisted) return;
  const hit = digest.addresses.intelHit(i);
  if (hit === null) return;
  evidence.noteAddress(digest.addresses.text(i), hit);
  state.dirty = true;
}

/** Answers in special-purpose space are no address of the domain's: counted for the verdict, never stored. */
function noteNonRoutable(state: FluxState, list: AddressList, count: number): void {
  const marks = state.mark();
  marks.nonRoutable += list.nonRoutable * count;
  marks.nonRoutableBlocks |= list.nonRoutableBlocks;
}

function absorbDelegation(state: FluxState, digest: ObservationDigest, seen: number, config: Config): void {
  const caps = config.limits;
  let d = state.delegation;
  if (d === null) d = state.delegation = new Delegation();
  d.lastSignature = digest.delegationSignature;
  for (let i = 0; i < digest.nsNames.size; i++) {
    const ns = digest.nsNames.at(i);
    const hash = digest.nsNames.hashAt(i);
    if (indexOfName(d.nsNames, d.nsNameHashes, ns, hash) !== -1) continue;
    if (d.nsNames.length < caps.maxNamesPerDomain) {
      d.nsNames = addName(d.nsNames, detach(ns));
      d.nsNameHashes = addHash(d.nsNameHashes, hash);
    } else {
      const beyond = (d.nsNamesBeyond ??= new Set());
      const counted = countBeyond(beyond, hash);
      if (counted === 0) continue;
      if (counted < 0) {
        d.nsNamesInexact = true;
        continue;
      }
    }
    d.nsNamesEver++;
    state.dirty = true;
  }
  if (digest.nsAddresses.size > 0) {
    const before = d.nsAddressesEver;
    d.nsAddresses = mergeAddresses(state, d.nsAddresses, digest.nsAddresses, seen, caps.maxAddressesPerDomain, d);
    if (d.nsAddressesEver > before) state.dirty = true;
  }
  for (let i = 0; i < digest.cnameTargets.size; i++) {
    const target = digest.cnameTargets.at(i);
    const hash = digest.cnameTargets.hashAt(i);
    if (indexOfName(d.cnameTargets, d.cnameTargetHashes, target, hash) !== -1) continue;
    if (d.cnameTargets.length < caps.maxNamesPerDomain) {
      d.cnameTargets = addName(d.cnameTargets, detach(target));
      d.cnameTargetHashes = addHash(d.cnameTargetHashes, hash);
    } else {
      const beyond = (d.cnameTargetsBeyond ??= new Set());
      const counted = countBeyond(beyond, hash);
      if (counted === 0) continue;
      if (counted < 0) {
        d.cnameTargetsInexact = true;
        continue;
      }
    }
    d.cnameTargetsEver++;
    state.dirty = true;
    if (d.cnameProvider < 0) d.cnameProvider = digest.cnameProviderOf();
  }
}

/** Names counted beyond a full list: at most this many hashes per list (16 KiB), then the count is a lower bound. */
const MAX_NAMES_BEYOND = 1024;

/**
 * A name not in a full list, by its hashName: 1 when it is new (the hash remembered), 0
 * when its hash was counted before, -1 when it cannot be told (the set is
 * full). Without this every lookup re-counted the names the list had no
 * room for (a shared registry read "148 NS names" with 60).
 */
function countBeyond(beyond: Set<number>, h: number): number {
  if (beyond.has(h)) return 0;
  if (beyond.size >= MAX_NAMES_BEYOND) return -1;
  beyond.add(h);
  return 1;
}

/**
 * Addresses a name server resolved to, learnt from its own lookup rather than
 * from glue: they count as name-server addresses of every zone it serves.
 */
export function absorbServerAddresses(zone: FluxState, list: AddressList, seen: number, config: Config): void {
  zone.scoreMemo = NO_SCORE_MEMO;
  const d = zone.delegation ?? (zone.delegation = new Delegation());
  const before = d.nsAddressesEver;
  d.nsAddresses = mergeAddresses(zone, d.nsAddresses, list, seen, config.limits.maxAddressesPerDomain, d);
  if (d.nsAddressesEver > before) zone.dirty = true;
}

/** Insert the name-server addresses of list not yet in table, counting the distinct ones in d; returns the table. */
function mergeAddresses(state: FluxState, from: AddressTable | null, list: AddressList, seen: number, cap: number, d: Delegation): AddressTable {
  let table = from ?? [];
  for (let i = 0; i < list.size; i++) {
    const key = list.keys[i]!;
    const slot = findAddress(table, key);
    if (slot >= 0) {
      if (seen > (table[slot + K_LAST_SEEN] as number)) table[slot + K_LAST_SEEN] = seen;
    } else {
      list.entry(i, entry);
      entry.key = stored(key);
      if (isNovel(state.nsDeparted, key)) d.nsAddressesEver++;
      const departed = state.nsDeparted ?? (isFull(table, cap) ? state.startNsDeparted() : null);
      table = insertAddress(table, cap, entry, seen, 0, departed);
      // A new key (or one evicted for it) changes the table's overlap with the networks, and its counts.
      d.nsOverlapVersion = -1;
      d.nsCountedAsns = -1;
    }
  }
  return table;
}

function stored(key: AddressKey): AddressKey {
  return typeof key === 'number' ? key : detach(key);
}

