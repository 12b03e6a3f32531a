/**
 * ObservationDigest: the parts of one DnsObservation detection uses, parsed
 * once and then applied to both the name's and the registered domain's
 * state. One instance is reused for every observation (arrays are
 * overwritten, not reallocated); enrichment is looked up lazily, only for
 * addresses a state has not seen before.
 */
import type { Enricher } from '../enrich/enricher.js';
import type { DnsObservation, ResourceRecord } from '../model/observation.js';
import { formatIPv6, parseIPv4, parseIPv6 } from '../model/names.js';
import type { AddressKey } from './address-table.js';
import { hashName } from './name-table.js';
import { clientHash } from './state.js';

/** Addresses of one section (answers, or name-server glue), with lazily looked-up facts. */
export class AddressList {
  /** Entries in use; the arrays may be longer (left over from earlier observations). */
  size = 0;
  readonly keys: AddressKey[] = [];
  readonly ttls: number[] = [];
  private readonly v6: (Uint16Array | null)[] = [];
  private readonly asns: number[] = [];
  private readonly countries: (string | null)[] = [];
  private readonly enricher: Enricher;

  constructor(enricher: Enricher) {
    this.enricher = enricher;
  }

  /** Add an A/AAAA record's address (deduplicated); false when the data is not an address. */
  add(rr: ResourceRecord): boolean {
    let key: AddressKey;
    let groups: Uint16Array | null = null;
    if (rr.type === 'A') {
      const v4 = parseIPv4(rr.data);
      if (v4 < 0) return false;
      key = v4 | 0;
    } else {
      groups = parseIPv6(rr.data);
      if (groups === null) return false;
      key = formatIPv6(groups);
    }
    for (let i = 0; i < this.size; i++) if (this.keys[i] === key) return true;
    const at = this.size++;
    this.keys[at] = key;
    this.ttls[at] = rr.ttl === null || !(rr.ttl >= 0) ? -1 : Math.min(rr.ttl, 2_147_483_647);
    this.v6[at] = groups;
    this.asns[at] = -1;
    this.countries[at] = null;
    return true;
  }

  asn(i: number): number {
    let asn = this.asns[i]!;
    if (asn === -1) {
      const g = this.v6[i]!;
      asn = g === null ? this.enricher.asnV4((this.keys[i] as number) >>> 0) : this.enricher.asnV6(g);
      this.asns[i] = asn;
    }
    return asn;
  }

  country(i: number): string {
    let cc = this.countries[i]!;
    if (cc === null) {
      const g = this.v6[i]!;
      cc = g === null ? this.enricher.countryV4((this.keys[i] as number) >>> 0) : this.enricher.countryV6(g);
      this.countries[i] = cc;
    }
    return cc;
  }
}

export class ObservationDigest {
  /** A/AAAA addresses in the answer section. */
  readonly addresses: AddressList;
  /** Name servers of the queried zone (NS answers, or authority NS at or below the registered domain). */
  readonly nsNames: string[] = [];
  /** Addresses of those name servers (glue in the additional section). */
  readonly nsAddresses: AddressList;
  /** Targets of CNAMEs in the answer chain. */
  readonly cnameTargets: string[] = [];
  /** The answers carried TTLs (live transactions, not aggregated passive-DNS tuples). */
  hasTtls = false;
  /** Hash of the client address for the distinct-client sketch; 0 when unknown. */
  clientHash = 0;
  /**
   * Order-independent hash of the NS names, glue addresses and CNAME targets
   * (0 when there are none): a state that saw the same delegation last time
   * can skip it, which is most lookups.
   */
  delegationSignature = 0;

  constructor(enricher: Enricher) {
    this.addresses = new AddressList(enricher);
    this.nsAddresses = new AddressList(enricher);
  }

  /** Digest obs; `registered` bounds which authority NS records belong to the queried zone. */
  read(obs: DnsObservation, registered: string): void {
    this.addresses.size = 0;
    this.nsAddresses.size = 0;
    if (this.nsNames.length !== 0) this.nsNames.length = 0;
    if (this.cnameTargets.length !== 0) this.cnameTargets.length = 0;
    this.hasTtls = false;
    this.clientHash = obs.client === null ? 0 : clientHash(obs.client) || 1;
    const answers = obs.answers;
    for (let i = 0; i < answers.length; i++) {
      const rr = answers[i]!;
      if (rr.ttl !== null) this.hasTtls = true;
      if (rr.type === 'A' || rr.type === 'AAAA') this.addresses.add(rr);
      else if (rr.type === 'CNAME') pushDistinct(this.cnameTargets, rr.data);
      else if (rr.type === 'NS') pushDistinct(this.nsNames, rr.data);
    }
    for (const rr of obs.authority) {
      // Referrals from a parent zone (com. NS a.gtld-servers.net) say nothing about this domain.
      if (rr.type === 'NS' && isAtOrBelow(rr.name, registered)) pushDistinct(this.nsNames, rr.data);
    }
    let signature = 0;
    for (let i = 0; i < this.cnameTargets.length; i++) signature = (signature + hashName(this.cnameTargets[i]!)) | 0;
    if (this.nsNames.length > 0) {
      for (let i = 0; i < this.nsNames.length; i++) signature = (signature + Math.imul(hashName(this.nsNames[i]!), 3)) | 0;
      for (const rr of obs.additional) {
        // Glue: owned by one of the NS names (an unknown owner, as Zeek's addl field gives, is taken as glue).
        if ((rr.type === 'A' || rr.type === 'AAAA') && (rr.name === '' || rr.name === obs.qname || this.nsNames.indexOf(rr.name) !== -1)) {
          if (this.nsAddresses.add(rr)) signature = (signature + Math.imul(hashName(rr.data), 5)) | 0;
        }
      }
    }
    this.delegationSignature = signature;
  }

  isEmpty(): boolean {
    return this.addresses.size === 0 && this.nsNames.length === 0 && this.cnameTargets.length === 0;
  }
}

function pushDistinct(list: string[], value: string): void {
  if (value !== '' && list.indexOf(value) === -1) list.push(value);
}

/** name equals zone or is a subdomain of it. An empty owner (unknown) counts as the queried zone. */
export function isAtOrBelow(name: string, zone: string): boolean {
  if (name === '' || name === zone) return true;
  return name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46;
}
