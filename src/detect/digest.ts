/**
 * ObservationDigest: the parts of one DnsObservation detection uses, parsed
 * once and then applied to both the name's and the registered domain's
 * state. One instance is reused for every observation (arrays are
 * overwritten, not reallocated); enrichment is looked up lazily, only for
 * addresses a state has not seen before.
 */
import type { Enricher } from '../enrich/enricher.js';
import type { DnsObservation, ResourceRecord } from '../model/observation.js';
import { formatIPv4, parseIPv4, parseIPv6Into } from '../model/names.js';
import type { IntelHit, IntelIndex } from '../intel/index.js';
import { nonRoutableV4, nonRoutableV6Text } from '../model/special-purpose.js';
import type { Infra } from '../enrich/infra/index.js';
import type { AddressEntry, AddressKey } from './address-table.js';
import { hashName } from './name-table.js';
import { isRegistrable } from './registered-domain.js';
import { clientHash } from './state.js';

/** Addresses of one section (answers, or name-server glue), with lazily looked-up facts. */
export class AddressList {
  /** Entries in use; the arrays may be longer (left over from earlier observations). */
  size = 0;
  /**
   * Records left out because their address is special-purpose space (no public
   * host: private, reserved, multicast, ...), and the bits of their blocks
   * (special-purpose.ts): they are never diversity, so no state stores them.
   */
  nonRoutable = 0;
  nonRoutableBlocks = 0;
  readonly keys: AddressKey[] = [];
  readonly ttls: number[] = [];
  private readonly asns: number[] = [];
  private readonly countries: (string | null)[] = [];
  private readonly providers: number[] = [];
  private readonly platforms: number[] = [];
  /** Per address: the listing's confidence, -1 none, -2 not looked up yet (see intelHit). */
  private readonly intelConfidences: number[] = [];
  /**
   * The feeds' index for this observation (Detector.observe reads
   * IntelView.current() once per lookup and sets it; null without feeds).
   * Only the answer list gets one: the evidence is the name's answers.
   */
  intel: IntelIndex | null = null;
  private readonly intelGroups = new Uint16Array(8);
  /** The IPv6 key whose groups v6Groups holds (groups()), or null. */
  private v6GroupsOf: string | null = null;
  private readonly v6Groups = new Uint16Array(8);
  private readonly enricher: Enricher;
  private readonly infra: Infra | null;

  constructor(enricher: Enricher, infra: Infra | null) {
    this.enricher = enricher;
    this.infra = infra;
  }

  /**
   * Add an A/AAAA record's address (deduplicated); false when the data is not
   * an address. AAAA data arrives in RFC 5952 form (a DnsObservation
   * invariant), so its text is the key; its groups are parsed only if a state
   * needs the address's ASN or country.
   */
  add(rr: ResourceRecord): boolean {
    let key: AddressKey;
    if (rr.type === 'A') {
      const v4 = parseIPv4(rr.data);
      if (v4 < 0 || this.leftOut(nonRoutableV4(v4))) return false;
      key = v4 | 0;
    } else {
      if (rr.data.indexOf(':') === -1 || this.leftOut(nonRoutableV6Text(rr.data))) return false;
      key = rr.data;
    }
    for (let i = 0; i < this.size; i++) if (this.keys[i] === key) return true;
    const at = this.size++;
    this.keys[at] = key;
    this.ttls[at] = rr.ttl === null || !(rr.ttl >= 0) ? -1 : Math.min(rr.ttl, 2_147_483_647);
    this.asns[at] = -1;
    this.countries[at] = null;
    this.providers[at] = -2;
    this.platforms[at] = -2;
    this.intelConfidences[at] = -2;
    return true;
  }

  /** Empty the list for the next observation. */
  clear(): void {
    this.size = 0;
    this.nonRoutable = 0;
    this.nonRoutableBlocks = 0;
  }

  /** Count a record of a non-routable block (block ≥ 0); true when it is one. */
  private leftOut(block: number): boolean {
    if (block < 0) return false;
    this.nonRoutable++;
    this.nonRoutableBlocks |= 1 << block;
    return true;
  }

  /** Fill out with what a state stores about address i (facts looked up now, once). */
  entry(i: number, out: AddressEntry): AddressEntry {
    out.key = this.keys[i]!;
    out.asn = this.asn(i);
    out.country = this.country(i);
    out.ttl = this.ttls[i]!;
    out.provider = this.provider(i);
    return out;
  }

  /** Known CDN/cloud provider of address i by its range, else by its AS; -1 when none. */
  provider(i: number): number {
    let p = this.providers[i]!;
    if (p === -2) {
      p = -1;
      const infra = this.infra;
      if (infra !== null) {
        const key = this.keys[i]!;
        if (typeof key === 'number') p = infra.providerOfV4(key >>> 0);
        else {
          const g = this.groups(i);
          if (g !== null) p = infra.providerOfV6(g);
        }
        if (p < 0) p = infra.providerOfAsn(this.asn(i));
      }
      this.providers[i] = p;
    }
    return p;
  }

  /**
   * Single-tenant platform whose network address i is in (by its ASN), -1
   * when none; looked up once per address per observation, only when asked.
   */
  platform(i: number): number {
    let p = this.platforms[i]!;
    if (p === -2) {
      p = this.infra === null || this.infra.counts.platformAsns === 0 ? -1 : this.infra.platformOfAsn(this.asn(i));
      this.platforms[i] = p;
    }
    return p;
  }

  /**
   * True when a feed lists address i (exactly, or inside a listed network)
   * and it is no known CDN's or cloud's: the detector's own infrastructure
   * test wins over any feed, so a hostile or careless feed listing a CDN
   * edge never makes its names flux. Looked up once per address per
   * observation, allocating nothing (the numbers the digest already has).
   */
  isIntelListed(i: number): boolean {
    let c = this.intelConfidences[i]!;
    if (c === -2) {
      c = this.intel === null || this.provider(i) >= 0 ? -1 : (this.intelHit(i)?.confidence ?? -1);
      this.intelConfidences[i] = c;
    }
    return c >= 0;
  }

  /** The index's (reused) hit for address i; copy what is kept past the next lookup. */
  intelHit(i: number): IntelHit | null {
    const index = this.intel;
    if (index === null) return null;
    const key = this.keys[i]!;
    if (typeof key === 'number') return index.matchIPv4(key >>> 0);
    return parseIPv6Into(key, this.intelGroups) ? index.matchIPv6(this.intelGroups) : null;
  }

  /** Address i as text (an IPv4 key is a number). */
  text(i: number): string {
    const key = this.keys[i]!;
    return typeof key === 'number' ? formatIPv4(key >>> 0) : key;
  }

  /**
   * Groups of an IPv6 key (parsed on demand into one reused array: the
   * enricher and infra read them and keep nothing); null for IPv4 or
   * unparsable text. Valid until the next call.
   */
  private groups(i: number): Uint16Array | null {
    const key = this.keys[i]!;
    if (typeof key === 'number') return null;
    // ASN, country and provider of one address ask in turn: parsed once for the three.
    if (key === this.v6GroupsOf) return this.v6Groups;
    if (!parseIPv6Into(key, this.v6Groups)) {
      this.v6GroupsOf = null;
      return null;
    }
    this.v6GroupsOf = key;
    return this.v6Groups;
  }

  asn(i: number): number {
    let asn = this.asns[i]!;
    if (asn === -1) {
      const key = this.keys[i]!;
      if (typeof key === 'number') asn = this.enricher.asnV4(key >>> 0);
      else {
        const g = this.groups(i);
        asn = g === null ? 0 : this.enricher.asnV6(g);
      }
      this.asns[i] = asn;
    }
    return asn;
  }

  country(i: number): string {
    let cc = this.countries[i]!;
    if (cc === null) {
      const key = this.keys[i]!;
      if (typeof key === 'number') cc = this.enricher.countryV4(key >>> 0);
      else {
        const g = this.groups(i);
        cc = g === null ? '' : this.enricher.countryV6(g);
      }
      this.countries[i] = cc;
    }
    return cc;
  }
}

/**
 * Distinct names of one section (NS names, CNAME targets), reused from
 * observation to observation: `clear` only resets `size`, so the array keeps
 * its backing store (an array truncated to length 0 drops it, and the next
 * push allocated a new one on every observation). Entries past `size` are
 * left over from earlier observations.
 */
export class NameList {
  size = 0;
  readonly names: string[] = [];
  /** hashName of names[i]: the signature and the states' lists (Delegation) compare these before the names. */
  readonly hashes: number[] = [];

  /** Add value unless it is '' or already in the list. */
  add(value: string): void {
    if (value === '') return;
    const hash = hashName(value);
    for (let i = 0; i < this.size; i++) if (this.hashes[i] === hash && this.names[i] === value) return;
    this.hashes[this.size] = hash;
    this.names[this.size++] = value;
  }

  indexOf(value: string): number {
    for (let i = 0; i < this.size; i++) if (this.names[i] === value) return i;
    return -1;
  }

  at(i: number): string {
    return this.names[i]!;
  }

  hashAt(i: number): number {
    return this.hashes[i]!;
  }

  clear(): void {
    this.size = 0;
  }
}

export class ObservationDigest {
  /** A/AAAA addresses in the answer section. */
  readonly addresses: AddressList;
  /** Name servers of the queried zone (NS answers, or authority NS at or below the registered domain). */
  readonly nsNames = new NameList();
  /** Addresses of those name servers (glue in the additional section). */
  readonly nsAddresses: AddressList;
  /** Targets of CNAMEs in the answer chain. */
  readonly cnameTargets = new NameList();
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
  /**
   * The zone cut the NS names belong to: the owner of the NS RRset (an NS
   * answer's owner, or an authority NS owner at or below the registered
   * domain); the longest when several; '' when there are none or the owner
   * is unknown.
   */
  nsCut = '';

  /** Whole seconds of the observation (data time). */
  seen = 0;
  /** The queried name's state left this answer out (tampering.ts): its registered domain's union leaves it out too. */
  answerLeftOut = false;
  /** The allowlist (DetectorOptions.isAllowlisted): an allowlisted name never counts intel evidence; null: none. */
  isAllowlisted: ((name: string) => boolean) | null = null;
  private qname = '';
  /** The platforms serving the queried name or a CNAME target of the answer, looked up once per observation (null until asked). */
  private served: number[] | null = null;

  /** -2: not looked up yet for this observation. */
  private cnameProvider = -2;
  private readonly infra: Infra | null;

  constructor(enricher: Enricher, infra: Infra | null) {
    this.addresses = new AddressList(enricher, infra);
    this.nsAddresses = new AddressList(enricher, infra);
    this.infra = infra;
  }

  /** Digest obs; `registered` bounds which authority NS records belong to the queried zone. */
  read(obs: DnsObservation, registered: string): void {
    this.addresses.clear();
    this.nsAddresses.clear();
    this.nsNames.clear();
    this.cnameTargets.clear();
    this.hasTtls = false;
    this.nsCut = '';
    this.answerLeftOut = false;
    this.served = null;
    this.seen = Math.floor(obs.ts);
    this.qname = obs.qname;
    this.clientHash = obs.client === null ? 0 : clientHash(obs.client) || 1;
    const answers = obs.answers;
    for (let i = 0; i < answers.length; i++) {
      const rr = answers[i]!;
      if (rr.ttl !== null) this.hasTtls = true;
      if (rr.type === 'A' || rr.type === 'AAAA') this.addresses.add(rr);
      else if (rr.type === 'CNAME') this.cnameTargets.add(rr.data);
      else if (rr.type === 'NS') {
        this.nsNames.add(rr.data);
        this.noteCut(rr.name === '' ? obs.qname : rr.name, registered);
      }
    }
    // Indexed loops, not for-of: an iterator per section per observation was ~7% of the bytes a run allocated.
    const authority = obs.authority;
    for (let i = 0; i < authority.length; i++) {
      const rr = authority[i]!;
      // Referrals from a parent zone (com. NS a.gtld-servers.net) say nothing about this domain;
      // the zone of a CNAME target is on the resolution path, so its name servers count.
      if (rr.type !== 'NS') continue;
      if (isAtOrBelow(rr.name, registered)) {
        this.nsNames.add(rr.data);
        this.noteCut(rr.name, registered);
      } else if (this.onCnamePath(rr.name)) this.nsNames.add(rr.data);
    }
    let signature = 0;
    this.cnameProvider = -2;
    for (let i = 0; i < this.cnameTargets.size; i++) signature = (signature + this.cnameTargets.hashAt(i)) | 0;
    if (this.nsNames.size > 0) {
      for (let i = 0; i < this.nsNames.size; i++) signature = (signature + Math.imul(this.nsNames.hashAt(i), 3)) | 0;
      const additional = obs.additional;
      for (let j = 0; j < additional.length; j++) {
        const rr = additional[j]!;
        // Glue: owned by one of the NS names (an unknown owner, as Zeek's addl field gives, is taken as glue).
        if ((rr.type === 'A' || rr.type === 'AAAA') && (rr.name === '' || rr.name === obs.qname || this.nsNames.indexOf(rr.name) !== -1)) {
          if (this.nsAddresses.add(rr)) signature = (signature + Math.imul(hashName(rr.data), 5)) | 0;
        }
      }
    }
    this.delegationSignature = signature;
  }

  private noteCut(owner: string, registered: string): void {
    // Behind a CNAME the name servers may be the target zone's, whatever owner a log without owners (Zeek) gives them.
    if (this.cnameTargets.size > 0) return;
    if (owner !== '' && owner.length > this.nsCut.length && isAtOrBelow(owner, registered)) this.nsCut = owner;
  }

  /** owner is a registrable zone (not a public suffix) that a CNAME target of this answer lies in. */
  private onCnamePath(owner: string): boolean {
    for (let i = 0; i < this.cnameTargets.size; i++) {
      if (isAtOrBelow(this.cnameTargets.at(i), owner) && owner !== '') return isRegistrable(owner);
    }
    return false;
  }

  /** Provider of the first CNAME target in the chain that points into a known CDN or cloud; -1 none. Looked up on demand. */
  cnameProviderOf(): number {
    if (this.cnameProvider === -2) {
      this.cnameProvider = -1;
      if (this.infra !== null) {
        for (let i = 0; i < this.cnameTargets.size && this.cnameProvider < 0; i++) {
          this.cnameProvider = this.infra.cnameProvider(this.cnameTargets.at(i));
        }
      }
    }
    return this.cnameProvider;
  }

  /**
   * Answer address i is in a single-tenant platform's network, and that
   * platform serves neither the queried name nor a CNAME target of the
   * answer: the platform did not give this answer (tampering.ts).
   */
  isInjected(i: number): boolean {
    const p = this.addresses.platform(i);
    if (p < 0 || this.infra === null) return false;
    return this.servedPlatforms(this.infra).indexOf(p) === -1;
  }

  /** Asked per platform address by inspect, notePlatformAsns and absorbing, for the name's and its union's state: looked up once. */
  private servedPlatforms(infra: Infra): number[] {
    if (this.served !== null) return this.served;
    const served: number[] = [];
    for (let i = -1; i < this.cnameTargets.size; i++) {
      const p = infra.platformOfName(i < 0 ? this.qname : this.cnameTargets.at(i));
      if (p >= 0 && served.indexOf(p) === -1) served.push(p);
    }
    return (this.served = served);
  }

  isEmpty(): boolean {
    return this.addresses.size === 0 && this.addresses.nonRoutable === 0 && this.nsNames.size === 0 && this.cnameTargets.size === 0;
  }
}

/** name equals zone or is a subdomain of it. An empty owner (unknown) counts as the queried zone. */
export function isAtOrBelow(name: string, zone: string): boolean {
  if (name === '' || name === zone) return true;
  return name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46;
}
