/**
 * Networks of suspicious names: names that are each only suspicious on their
 * own evidence (slow flux looked up a few times, sibling throwaway domains)
 * but resolve into the same bot addresses are run by one botnet. Such names
 * and their addresses form a candidate graph; once a candidate spans enough
 * distinct registered domains, addresses and ASNs (networks.suspicious), it
 * is promoted and its names become fast-flux together.
 *
 * Bounded like FluxNetworks: at most `maxAddresses` addresses (the oldest
 * are forgotten first; a candidate left with none is dropped), at most
 * MAX_NAMES names and registered domains remembered per candidate. Known
 * CDN/cloud/platform addresses and addresses with no ASN (not announced:
 * reserved, private, bogon) never join.
 */
import type { Config } from '../config/schema.js';
import { ADDRESS_STRIDE, K_ASN, K_COUNTRY, K_KEY, K_PROVIDER, type AddressKey, type AddressTable } from './address-table.js';

/** Names and registered domains remembered per candidate (the promotion needs a few). */
const MAX_NAMES = 64;
const SET_CAP = 4096;

export class Candidate {
  /** Addresses of the candidate still remembered. */
  readonly keys = new Set<AddressKey>();
  /** Distinct addresses that ever joined. */
  addresses = 0;
  readonly asns = new Set<number>();
  readonly countries = new Set<string>();
  readonly registered = new Set<string>();
  /** Names that joined (at most MAX_NAMES), to promote together. */
  members: string[] = [];
  promoted = false;
}

export class SuspiciousNetworks {
  private readonly byAddress = new Map<AddressKey, Candidate>();
  private readonly settings: Config['networks']['suspicious'];

  constructor(settings: Config['networks']['suspicious']) {
    this.settings = settings;
  }

  get addressCount(): number {
    return this.byAddress.size;
  }

  /**
   * A suspicious name's addresses join the graph: its candidate is the union
   * of every candidate they already belong to (or a new one). Null when none
   * of its addresses may join.
   */
  join(name: string, registered: string, table: AddressTable | null): Candidate | null {
    if (table === null || this.settings.maxAddresses === 0) return null;
    let target: Candidate | null = null;
    for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
      if (!mayJoin(table, i)) continue;
      const c = this.byAddress.get(table[i + K_KEY]!);
      if (c !== undefined && c !== target) target = target === null ? c : this.merge(target, c);
    }
    for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
      if (!mayJoin(table, i)) continue;
      const key = table[i + K_KEY]!;
      if (this.byAddress.has(key)) continue;
      target ??= new Candidate();
      this.remember(key, target);
      target.keys.add(key);
      target.addresses++;
      if (target.asns.size < SET_CAP) target.asns.add(table[i + K_ASN] as number);
      const cc = table[i + K_COUNTRY] as string;
      if (cc !== '') target.countries.add(cc);
    }
    if (target === null) return null;
    if (target.registered.size < MAX_NAMES) target.registered.add(registered);
    if (target.members.length < MAX_NAMES && !target.members.includes(name)) target.members.push(name);
    return target;
  }

  /** The candidate has grown into a network: enough suspicious registered domains over enough addresses and ASNs. */
  isNetwork(c: Candidate): boolean {
    const s = this.settings;
    return c.registered.size >= s.minNames && c.addresses >= s.minAddresses && c.asns.size >= s.minAsns && c.countries.size >= s.minCountries;
  }

  /** Small into large: every address of the smaller candidate moves, so each address names its candidate directly. */
  private merge(a: Candidate, b: Candidate): Candidate {
    const [big, small] = a.keys.size >= b.keys.size ? [a, b] : [b, a];
    for (const key of small.keys) {
      big.keys.add(key);
      this.byAddress.set(key, big);
    }
    small.keys.clear();
    big.addresses += small.addresses;
    for (const asn of small.asns) if (big.asns.size < SET_CAP) big.asns.add(asn);
    for (const cc of small.countries) big.countries.add(cc);
    for (const r of small.registered) if (big.registered.size < MAX_NAMES) big.registered.add(r);
    for (const m of small.members) if (big.members.length < MAX_NAMES && !big.members.includes(m)) big.members.push(m);
    big.promoted ||= small.promoted;
    return big;
  }

  private remember(key: AddressKey, c: Candidate): void {
    if (this.byAddress.size >= this.settings.maxAddresses) {
      const oldest = this.byAddress.entries().next();
      if (!oldest.done) {
        const [gone, owner] = oldest.value;
        this.byAddress.delete(gone);
        owner.keys.delete(gone);
      }
    }
    this.byAddress.set(key, c);
  }
}

/** Known CDN/cloud/platform addresses, and addresses no AS announces, are nobody's bots. */
function mayJoin(table: AddressTable, i: number): boolean {
  return (table[i + K_PROVIDER] as number) < 0 && (table[i + K_ASN] as number) !== 0;
}
