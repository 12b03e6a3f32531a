/** Verdict: what detection concluded about one domain, with the numbers behind it. */
import type { FlowEvidence } from './flow.js';

export type VerdictLabel = 'fast-flux' | 'suspicious' | 'benign';
export type FluxKind = 'single' | 'double';
/** A verdict is about one queried name, or about all names under a registered domain together. */
export type VerdictScope = 'name' | 'registered_domain';

/** The measured features of a domain; each documented in src/detect/features/README.md. */
export interface Features {
  lookups: number;
  /** Responses that carried addresses. */
  answers: number;
  /** Distinct A/AAAA addresses over the run (an upper bound once the per-domain cap evicts). */
  ips: number;
  /** Most distinct addresses seen within one window. */
  ips_window: number;
  /** Distinct /16 (IPv4) and /48 (IPv6) prefixes among the retained addresses. */
  prefixes: number;
  asns: number;
  asns_window: number;
  countries: number;
  countries_window: number;
  /** New addresses per hour over the domain's active span (at least one window). */
  ips_per_hour: number;
  /** Seconds; null when the input carries no TTLs. */
  ttl_min: number | null;
  ttl_median: number | null;
  /** Share of answers with TTL under the low-TTL threshold, 0..1; null without TTLs. */
  ttl_low_share: number | null;
  /** Mean Jaccard distance between successive answer sets, 0..1; null with fewer than two. */
  churn: number | null;
  ns_names: number;
  ns_addresses: number;
  ns_asns: number;
  cname_targets: number;
  /** Distinct clients that asked: an estimate from a 64-bit sketch, exact for a few, at most 266. */
  clients: number;
  /** Distinct names under a registered domain (registered_domain scope only). */
  names: number;
  /** Addresses shared with a known flux network. */
  network_addresses: number;
  /** Share (0..1) of the name's own (not CDN/cloud) addresses that a known flux network already held. */
  network_share: number;
  /** Name-server (glue) addresses shared with a known flux network. */
  ns_network_addresses: number;
  /** How much the network points count (0..1): 1 when the network is coherent and the name shares enough of its addresses, less for weaker evidence. */
  network_trust: number;
  /** The flux network the name resolves into or belongs to, as its number (fn-N); 0 if none. */
  network_id: number;
  /** That network's distinct addresses, ASNs and countries (0 if none). */
  network_size: number;
  network_asns: number;
  network_countries: number;
  /** Suspicious names (distinct registered domains) of the promoted network of suspicious names the name belongs to; 0 if none. */
  network_names: number;
  /** Answers that carried an address never seen before for the domain. */
  answers_new: number;
  /** Most addresses (not CDN/cloud) in any one answer. */
  answer_size_max: number;
  /** Hours between the first and the last lookup. */
  span_hours: number;
  /** The most distinct addresses, ASNs and countries seen within one day (24 h). */
  ips_day: number;
  asns_day: number;
  countries_day: number;
  /** 1 when the domain shows slow flux (see the slowFlux config). */
  slow_flux: number;

  /** Share (0..1) of the answers that belong to known CDNs and clouds (1 when the CNAME chain points into one). */
  known_infra_share: number;
  /** On how many top-site lists the registered domain is (0..5). */
  top_site_lists: number;
  /** 1 when the name belongs to a known volunteer or mirror pool. */
  pool: number;
  /** 1 when the name is under a dynamic-DNS provider. */
  dynamic_dns: number;
  /** Answer records in special-purpose space (private, reserved, multicast, ...): never counted as addresses. */
  non_routable: number;
  /** ASNs of the answers when they all lie in one country in a national CDN's shape (config geography); 0 otherwise. */
  single_country_asns: number;
  /**
   * Distinct answer addresses (never a known CDN's or cloud's) a threat-intelligence
   * feed lists as flux infrastructure, as an address or inside a listed network.
   * Present only on a name with such an address (Verdict.intel names the listings).
   */
  intel_addresses?: number;
  /** Those addresses weighed by their feeds' confidence: the sum of confidence/100 (the weighted one). Present with intel_addresses. */
  intel_evidence?: number;
  /**
   * The name's own (not CDN/cloud) addresses that took or made connections in
   * flow data within the window (weights.flow_evidence); present only when
   * flows reached one of them. Verdict.flows has the details.
   */
  flow_evidence?: number;
  /** Distinct clients whose flows reached those addresses; present with flow_evidence. */
  flow_clients?: number;
}

export interface Contribution {
  /** Feature (or family) name, as in the config. */
  feature: string;
  /** Points added to the score. */
  points: number;
}

export interface HolzScore {
  /** 1.32·nA + 18.54·nASN (Holz et al., NDSS 2008). */
  score: number;
  flagged: boolean;
  /** When the score first went above the threshold (data time) and after how many lookups; null if never. */
  first_flagged?: string | null;
  lookups_to_flag?: number | null;
}

export interface Verdict {
  domain: string;
  registered_domain: string;
  scope: VerdictScope;
  verdict: VerdictLabel;
  flux: FluxKind | null;
  /** 0..100 */
  score: number;
  /** Plain-language reasons with numbers, strongest first. */
  reasons: string[];
  features: Features;
  contributions: Contribution[];
  /** ISO 8601, UTC. */
  first_seen: string;
  last_seen: string;
  /** When the domain first crossed a flag threshold (data time), and after how many lookups; null if never. */
  first_flagged: string | null;
  lookups_to_flag: number | null;
  holz?: HolzScore;
  /**
   * The delegated zone whose name servers the verdict's name-server evidence
   * is about, when it lies below the registered domain: a customer's zone
   * `cust.provider.example` under a shared registry (free subdomains,
   * dynamic DNS, hosting platforms) that delegates children to their own
   * name servers. Blocking follows it: a flagged name blocks this zone and
   * everything under it instead of the registered domain. Absent (null)
   * when the evidence is about the registered domain's own zone.
   */
  zone?: string | null;
  /** The flux service network ('fn-1', ...) the domain belongs to or resolves into; null if none. */
  network: string | null;
  /** Which reference data the address facts came from. */
  enrichment: string[];
  /** What the actions act on: the domain's most recent addresses and name servers (capped per domain). */
  evidence: Evidence;
  /**
   * Features whose value is a lower bound ("at least N" in the reasons): the
   * distinct count outgrew what the detector remembers per domain (see
   * src/detect/README.md, "Counting"). Absent when every count is exact.
   */
  lower_bounds?: Array<keyof Features>;
  /**
   * Of `features.lookups`, those fluxhound made itself: active confirmation
   * probes (serve.confirm) re-resolving a suspicious name through the
   * upstream. Absent when every lookup came from clients.
   */
  probes?: number;
  /** Injected or poisoned answers seen for this domain (src/detect/README.md, "Tampering"); absent when none. */
  tampering?: Tampering;
  /**
   * Present only on a policy entry, not a detection: the verdict the
   * operator's deny list puts in the flagged set for one entry (verdict
   * 'fast-flux', flux null, score 100, one reason quoting the entry, no
   * features or evidence), so the forwarder, the RPZ and the block page
   * block it on the one path flagged names take. The query log's rule is
   * 'denylist' for a name it blocks. See src/serve/lists/README.md.
   */
  listed?: ListedEntry;
  /**
   * Threat-intelligence feed entries behind this verdict (src/intel): the
   * entry listing the name itself (kind 'domain': a listing verdict, made by
   * detect/intel-verdict's intelListingVerdict and handled by the feed's
   * action) and the entries listing its addresses or their networks as flux
   * infrastructure (kind 'address' | 'cidr': evidence, like membership of a
   * flux network). Most specific first, at most a few. Absent when no feed
   * lists the name or any of its addresses.
   */
  intel?: IntelListing[];
  /** What flow data (NetFlow/IPFIX, conn.log, eve flow) showed about the domain's addresses; absent without flows to them. */
  flows?: FlowEvidence;
}

/** One feed entry that lists a name, an address or a network (Verdict.intel). */
export interface IntelListing {
  /** The feed's configured name (intel.feeds[].name, or `taxii:<poster>` for the TAXII inbox). */
  feed: string;
  /** The entry's id in its feed: a STIX indicator id, a MISP attribute uuid, 'file:line'. */
  ref: string;
  kind: 'domain' | 'address' | 'cidr';
  /** What the feed listed: a name, an address, or 'network/bits'. */
  value: string;
  /** The feed's own words for it (indicator name, MISP comment); '' when none. */
  note: string;
  /** 0..100, the feed's configured confidence. */
  confidence: number;
  /** The feed's action for a listed domain: block (the policy's action for fast flux) or log. */
  action: 'block' | 'log';
}

/** The operator's list entry behind a policy verdict (Verdict.listed). */
export interface ListedEntry {
  list: 'deny';
  comment: string;
  /** Who made the entry. */
  by: string;
  /** When, seconds since the epoch. */
  at: number;
}

/**
 * Answers the domain's own DNS did not give: a censoring middlebox's or an
 * on-path attacker's. `injected`: the name is answered by something else
 * (most answers point into single-tenant platform networks that do not
 * serve it, or change with a TTL that never counts down); `poisoned`: its
 * answers are normally its own and a minority were not (a platform answer, a
 * second different response to one query). A finding about the network,
 * not about the domain: the injected answers are left out of its flux
 * features, and such a domain is never blocked for them.
 */
export interface Tampering {
  kind: 'injected' | 'poisoned';
  /** Plain-language reasons with numbers. */
  reasons: string[];
  /** How many answers (responses) showed a sign. */
  answers: number;
}

export interface Evidence {
  /** Answer addresses, most recently seen first; `known` marks those of a known CDN/cloud (never blocked by address). */
  addresses: EvidenceAddress[];
  /** NS names seen for the domain (double flux). */
  name_servers: string[];
  /** Addresses of those name servers (glue, or their own lookups). */
  ns_addresses: EvidenceAddress[];
}

export interface EvidenceAddress {
  address: string;
  /** ISO 8601, UTC. */
  last_seen: string;
  asn: number | null;
  /** True when the address belongs to a known CDN or cloud. */
  known: boolean;
}

/**
 * Whether actions may act on a verdict: flagged, and not a name whose answers
 * were injected (a legitimate site behind a censoring middlebox: blocking it
 * would finish the censor's work). Every action asks this.
 */
export function isActionable(v: Pick<Verdict, 'verdict' | 'tampering'>): boolean {
  return v.verdict !== 'benign' && v.tampering?.kind !== 'injected';
}

/** Seconds since the epoch as Date#toISOString writes them, '' for no valid time (iso-time.ts). */
export { isoTime } from './iso-time.js';
