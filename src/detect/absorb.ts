/**
 * absorb: fold one digested observation into a domain's state. The only
 * place state changes; features read it, never write it.
 */
import type { Config } from '../config/schema.js';
import type { DnsObservation } from '../model/observation.js';
import {
  countTable,
  findAddress,
  insertAddress,
  K_LAST_ANSWER,
  K_LAST_SEEN,
  K_TTL,
  type AddressTable,
  type TableCounts,
} from './address-table.js';
import type { AddressList, ObservationDigest } from './digest.js';
import { detach, type FluxState } from './state.js';

const windowCounts: TableCounts = { addresses: 0, prefixes: 0, asns: 0, countries: 0 };

export function absorb(state: FluxState, obs: DnsObservation, digest: ObservationDigest, config: Config): void {
  const ts = obs.ts;
  const seen = Math.floor(ts);
  if (ts > state.lastSeen) state.lastSeen = ts;
  if (obs.firstSeen < state.firstSeen) state.firstSeen = obs.firstSeen;
  state.lookups += obs.count;
  const caps = config.limits;
  if (obs.client !== null) addClient(state, obs.client, caps.maxNamesPerDomain);

  const list = digest.addresses;
  if (list.length > 0) {
    const answerNo = ++state.answers;
    let table = state.addresses;
    if (table === null) table = state.addresses = [];
    let fresh = 0;
    let inPrevious = 0;
    for (let i = 0; i < list.length; i++) {
      const key = list.keys[i]!;
      const ttl = list.ttls[i]!;
      const slot = findAddress(table, key);
      if (slot >= 0) {
        if (table[slot + K_LAST_ANSWER] === answerNo - 1) inPrevious++;
        if (seen > (table[slot + K_LAST_SEEN] as number)) table[slot + K_LAST_SEEN] = seen;
        table[slot + K_LAST_ANSWER] = answerNo;
        if (ttl >= 0) table[slot + K_TTL] = ttl;
      } else {
        insertAddress(table, caps.maxAddressesPerDomain, stored(key), seen, list.asn(i), list.country(i), answerNo, ttl);
        fresh++;
      }
      if (ttl >= 0) {
        state.ttlSamples += obs.count;
        if (ttl < config.lowTtl) state.ttlLowSamples += obs.count;
        if (state.ttlMin < 0 || ttl < state.ttlMin) state.ttlMin = ttl;
      }
    }
    // Churn compares successive answers of one name; aggregated passive-DNS
    // tuples (one rdata each, no TTL) and registered-domain unions have no such sequence.
    if (state.scope === 'name' && digest.hasTtls) {
      if (state.previousAnswerSize > 0) {
        const union = list.length + state.previousAnswerSize - inPrevious;
        state.churnSum += 1 - inPrevious / union;
        state.churnCount++;
      }
      state.previousAnswerSize = list.length;
    }
    if (fresh > 0) {
      state.addressesEver += fresh;
      state.dirty = true;
      countTable(table, seen - config.window, windowCounts);
      if (windowCounts.addresses > state.windowAddressesPeak) state.windowAddressesPeak = windowCounts.addresses;
      if (windowCounts.asns > state.windowAsnsPeak) state.windowAsnsPeak = windowCounts.asns;
      if (windowCounts.countries > state.windowCountriesPeak) state.windowCountriesPeak = windowCounts.countries;
    }
  }

  for (const ns of digest.nsNames) {
    const before = state.nsNames;
    if (before === null || before.indexOf(ns) === -1) {
      state.nsNamesEver++;
      state.dirty = true;
      if (before === null) state.nsNames = [detach(ns)];
      else if (before.length < caps.maxNamesPerDomain) before.push(detach(ns));
    }
  }
  if (digest.nsAddresses.length > 0) {
    if (state.nsAddresses === null) state.nsAddresses = [];
    const added = mergeAddresses(state.nsAddresses, digest.nsAddresses, seen, caps.maxAddressesPerDomain);
    if (added > 0) {
      state.nsAddressesEver += added;
      state.dirty = true;
    }
  }
  for (const target of digest.cnameTargets) {
    const before = state.cnameTargets;
    if (before === null || before.indexOf(target) === -1) {
      state.cnameTargetsEver++;
      state.dirty = true;
      if (before === null) state.cnameTargets = [detach(target)];
      else if (before.length < caps.maxNamesPerDomain) before.push(detach(target));
    }
  }
}

/** Insert the addresses of list not yet in table; returns how many were new. */
function mergeAddresses(table: AddressTable, list: AddressList, seen: number, cap: number): number {
  let added = 0;
  for (let i = 0; i < list.length; i++) {
    const key = list.keys[i]!;
    const slot = findAddress(table, key);
    if (slot >= 0) {
      if (seen > (table[slot + K_LAST_SEEN] as number)) table[slot + K_LAST_SEEN] = seen;
    } else {
      insertAddress(table, cap, stored(key), seen, list.asn(i), list.country(i), 0, list.ttls[i]!);
      added++;
    }
  }
  return added;
}

function addClient(state: FluxState, client: string, cap: number): void {
  const clients = state.clients;
  if (clients === null) state.clients = [detach(client)];
  else if (clients.length < cap && clients.indexOf(client) === -1) clients.push(detach(client));
}

function stored(key: string | number): string | number {
  return typeof key === 'number' ? key : detach(key);
}

