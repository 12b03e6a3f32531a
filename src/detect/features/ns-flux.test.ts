/**
 * ns-flux keeps a name's name-server overlap with the flux networks between
 * rescores (Delegation.nsOverlapVersion): the cached count must always be
 * what a fresh overlap() gives, through joins, merges, evictions from the
 * graph, touches that make an address shared hosting, and name-server
 * addresses inserted or evicted from the table. The same for its counts of
 * name-server addresses and ASNs (Delegation.nsCountedAsns).
 */
import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { rr } from '../../../test/helpers/observations.js';
import { defaultConfig } from '../../config/schema.js';
import { formatIPv4 } from '../../model/names.js';
import { absorbServerAddresses } from '../absorb.js';
import { countTable, insertAddress, newCounts, type AddressTable } from '../address-table.js';
import { AddressList } from '../digest.js';
import { FluxNetworks, newOverlap, type Overlap } from '../networks.js';
import { FluxState } from '../state.js';
import { emptyFeatures, type MeasureInput } from './family.js';
import { nsFlux } from './ns-flux.js';

/** Counts overlap() calls: what the cache saves. */
class CountingNetworks extends FluxNetworks {
  calls = 0;
  override overlap(table: AddressTable | null, out: Overlap): void {
    this.calls++;
    super.overlap(table, out);
  }
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Addresses 80.0.0.1 .. 80.0.0.N as the detector's keys (signed 32-bit). */
const address = (n: number): number => (0x50000000 + n) | 0;

function setup(networks: FluxNetworks) {
  const config = defaultConfig();
  config.limits.maxAddressesPerDomain = 6;
  const zone = new FluxState('zone.example', 'zone.example', 'registered_domain', 0);
  const list = new AddressList(octetEnricher, null);
  const ctx: MeasureInput = { config, detail: false, networks, infra: null, addresses: newCounts() };
  return { config, zone, list, ctx };
}

describe('ns-flux network overlap cache', () => {
  it('always equals a fresh overlap through random graph and name-server table changes', () => {
    const networks = new FluxNetworks(40, 2);
    const { config, zone, list, ctx } = setup(networks);
    const random = prng(18);
    const fresh = newOverlap();
    const out = emptyFeatures();
    let checked = 0;
    let nonZero = 0;
    for (let step = 0; step < 5_000; step++) {
      const op = random();
      if (op < 0.3) {
        let t: AddressTable = [];
        const n = 1 + Math.floor(random() * 4);
        for (let i = 0; i < n; i++) {
          const key = address(1 + Math.floor(random() * 120));
          if (t.indexOf(key) === -1) t = insertAddress(t, 64, { key, asn: 100, country: 'DE', ttl: 60, provider: -1 }, step, 1);
        }
        networks.join(`d${Math.floor(random() * 50)}.flux`, t, step, step, -1);
      } else if (op < 0.5) {
        // Half the touches hit a name-server address, so some make one of them shared hosting.
        const ns = zone.delegation?.nsAddresses ?? null;
        const key = ns !== null && random() < 0.5 ? ns[7 * Math.floor(random() * (ns.length / 7))]! : address(1 + Math.floor(random() * 120));
        networks.noteTouch(key, Math.floor(random() * 2 ** 31));
      } else if (op < 0.7) {
        list.clear();
        const n = 1 + Math.floor(random() * 3);
        for (let i = 0; i < n; i++) list.add(rr('ns.zone.example', 'A', formatIPv4(address(1 + Math.floor(random() * 120)))));
        absorbServerAddresses(zone, list, step, config);
      }
      nsFlux.measure(zone, ctx, out);
      networks.overlap(zone.delegation?.nsAddresses ?? null, fresh);
      expect(out.ns_network_addresses).toBe(fresh.hits);
      checked++;
      if (fresh.hits > 0) nonZero++;
    }
    expect(checked).toBe(5_000);
    // The walk reaches tables with and without overlap, so both answers were compared.
    expect(nonZero).toBeGreaterThan(500);
    expect(nonZero).toBeLessThan(4_900);
  });

  it('does not recount the overlap at a rescore when neither the graph nor the table changed', () => {
    const networks = new CountingNetworks(1000);
    const { config, zone, list, ctx } = setup(networks);
    const out = emptyFeatures();
    list.add(rr('ns.zone.example', 'A', '80.0.0.1'));
    list.add(rr('ns.zone.example', 'A', '80.0.0.2'));
    absorbServerAddresses(zone, list, 1, config);
    networks.join('a.flux', zone.delegation!.nsAddresses!.slice(), 1, 1, -1);
    for (let i = 0; i < 5; i++) nsFlux.measure(zone, ctx, out);
    expect(out.ns_network_addresses).toBe(2);
    expect(networks.calls).toBe(1);
    // The same addresses again: the table keeps its keys, so still no recount.
    absorbServerAddresses(zone, list, 2, config);
    nsFlux.measure(zone, ctx, out);
    expect(networks.calls).toBe(1);
    // A new name-server address: counted again.
    list.clear();
    list.add(rr('ns.zone.example', 'A', '80.0.0.3'));
    absorbServerAddresses(zone, list, 3, config);
    nsFlux.measure(zone, ctx, out);
    expect(networks.calls).toBe(2);
    expect(out.ns_network_addresses).toBe(2);
    // The graph learns the new address: counted again.
    networks.join('b.flux', zone.delegation!.nsAddresses!.slice(), 3, 3, -1);
    nsFlux.measure(zone, ctx, out);
    expect(networks.calls).toBe(3);
    expect(out.ns_network_addresses).toBe(3);
  });
});

describe('ns-flux name-server counts cache', () => {
  it('always equals a fresh count of the table through inserts and evictions', () => {
    const { config, zone, list, ctx } = setup(new FluxNetworks(40, 2));
    const random = prng(7);
    const fresh = newCounts();
    const out = emptyFeatures();
    const asnsSeen = new Set<number>();
    let evicting = 0;
    for (let step = 0; step < 5_000; step++) {
      if (random() < 0.6) {
        list.clear();
        const n = 1 + Math.floor(random() * 3);
        // First octets 80..87 (ASN = octet × 100 with the octet enricher), so the ASN count moves too.
        for (let i = 0; i < n; i++) list.add(rr('ns.zone.example', 'A', `${80 + Math.floor(random() * 8)}.0.${Math.floor(random() * 4)}.${1 + Math.floor(random() * 5)}`));
        const before = zone.delegation?.nsAddresses?.length ?? 0;
        absorbServerAddresses(zone, list, step, config);
        if (before === 6 * 7) evicting++;
      }
      nsFlux.measure(zone, ctx, out);
      const d = zone.delegation;
      countTable(d?.nsAddresses ?? null, -Infinity, fresh);
      expect(out.ns_asns).toBe(fresh.asns);
      expect(out.ns_addresses).toBe(Math.max(d?.nsAddressesEver ?? 0, fresh.addresses));
      asnsSeen.add(fresh.asns);
    }
    // Full tables (6 addresses) evicting, and more than one ASN count compared.
    expect(evicting).toBeGreaterThan(1_000);
    expect(asnsSeen.size).toBeGreaterThan(3);
  });

  it('counts the table once until absorbing changes it', () => {
    const { config, zone, list, ctx } = setup(new FluxNetworks(40, 2));
    const out = emptyFeatures();
    list.add(rr('ns.zone.example', 'A', '80.0.0.1'));
    list.add(rr('ns.zone.example', 'A', '81.0.0.1'));
    absorbServerAddresses(zone, list, 1, config);
    nsFlux.measure(zone, ctx, out);
    expect(out.ns_asns).toBe(2);
    // Changed behind absorb's back (no path of the detector does this): the cached count stands.
    zone.delegation!.nsAddresses![7 + 2] = 8_000; // the second address's ASN made the first's: a fresh count says 1
    nsFlux.measure(zone, ctx, out);
    expect(out.ns_asns).toBe(2);
    // A new address through absorb: counted again.
    list.clear();
    list.add(rr('ns.zone.example', 'A', '83.0.0.1'));
    list.add(rr('ns.zone.example', 'A', '84.0.0.1'));
    absorbServerAddresses(zone, list, 2, config);
    nsFlux.measure(zone, ctx, out);
    // 8000 (twice, after the change), 8300, 8400.
    expect(out.ns_asns).toBe(3);
    expect(out.ns_addresses).toBe(4);
  });
});
