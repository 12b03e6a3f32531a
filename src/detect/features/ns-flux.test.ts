/**
 * ns-flux keeps a name's name-server overlap with the flux networks between
 * rescores (Delegation.nsOverlapVersion): the cached count must always be
 * what a fresh overlap() gives, through joins, merges, evictions from the
 * graph, touches that make an address shared hosting, and name-server
 * addresses inserted or evicted from the table.
 */
import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { rr } from '../../../test/helpers/observations.js';
import { defaultConfig } from '../../config/schema.js';
import { formatIPv4 } from '../../model/names.js';
import { absorbServerAddresses } from '../absorb.js';
import { insertAddress, newCounts, type AddressTable } from '../address-table.js';
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
