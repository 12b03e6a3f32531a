/**
 * A feature family measures a group of related numbers from a domain's state
 * and explains them in one plain sentence. Families are pure: state in,
 * numbers out. Their order and list live in features/index.ts.
 */
import type { Config, WeightName } from '../../config/schema.js';
import type { Features } from '../../model/verdict.js';
import type { Infra } from '../../enrich/infra/index.js';
import type { TableCounts } from '../address-table.js';
import type { FluxNetworks } from '../networks.js';
import type { FluxState } from '../state.js';
import type { IntelEvidence } from '../intel-evidence.js';
import type { FlowEvidence } from '../../model/flow.js';

export interface MeasureContext {
  config: Config;
  /**
   * False while re-scoring on the hot path: families may skip features that
   * carry no weight (ttl_median) and allocate nothing. True for verdicts.
   */
  detail: boolean;
  /** Known flux networks, when the detector keeps them. */
  networks: FluxNetworks | null;
  /** Known infrastructure (CDNs, clouds, pools, dynamic DNS, top sites); null without. */
  infra: Infra | null;
  /** Features whose value is a lower bound, for explain ("at least N IPs"); none when left out. */
  lowerBounds?: readonly (keyof Features)[];
  /** The name's threat-intelligence hits, for explain (the listings a reason names); none when left out. */
  intel?: IntelEvidence | null;
  /** What flows said about the name's addresses, for explain; none when left out. */
  flows?: FlowEvidence | null;
}

/** 'at least ' when the feature is a lower bound in ctx, else ''. */
export function atLeast(ctx: MeasureContext, feature: keyof Features): string {
  return ctx.lowerBounds !== undefined && ctx.lowerBounds.includes(feature) ? 'at least ' : '';
}

/** What a family's measure sees: the context, and the state's address table counted once for all families. */
export interface MeasureInput extends MeasureContext {
  /** All retained addresses (known CDN/cloud ones in `known` only). */
  addresses: TableCounts;
}

export interface FeatureFamily {
  /** 'ip-diversity', 'ttl', ... */
  readonly name: string;
  /** The scored features (config weights) this family owns. */
  readonly weights: readonly WeightName[];
  /** Write this family's features into out. */
  measure(state: FluxState, ctx: MeasureInput, out: Features): void;
  /** One sentence with the numbers, for a verdict's reasons. */
  explain(f: Features, ctx: MeasureContext): string;
  /**
   * A sentence a verdict carries whatever points the family adds (what was
   * left out of the evidence, or held back, and why); null when none.
   */
  note?(state: FluxState, f: Features, ctx: MeasureContext): string | null;
}

export function emptyFeatures(): Features {
  return {
    lookups: 0,
    answers: 0,
    ips: 0,
    ips_window: 0,
    prefixes: 0,
    asns: 0,
    asns_window: 0,
    countries: 0,
    countries_window: 0,
    ips_per_hour: 0,
    ttl_min: null,
    ttl_median: null,
    ttl_low_share: null,
    churn: null,
    ns_names: 0,
    ns_addresses: 0,
    ns_asns: 0,
    cname_targets: 0,
    clients: 0,
    names: 0,
    network_addresses: 0,
    network_share: 0,
    ns_network_addresses: 0,
    network_trust: 0,
    network_id: 0,
    network_size: 0,
    network_asns: 0,
    network_countries: 0,
    network_names: 0,
    answers_new: 0,
    answer_size_max: 0,
    span_hours: 0,
    ips_day: 0,
    asns_day: 0,
    countries_day: 0,
    slow_flux: 0,
    known_infra_share: 0,
    top_site_lists: 0,
    pool: 0,
    dynamic_dns: 0,
    non_routable: 0,
    single_country_asns: 0,
  };
}

/**
 * Every feature back to its empty value, in place: the detector re-scores a
 * reused record on every changed state, and Object.assign from a frozen
 * empty record cost ~0.6 us a call there (these stores cost next to
 * nothing). family.test.ts checks it matches emptyFeatures field by field.
 */
export function resetFeatures(out: Features): Features {
  out.lookups = 0;
  out.answers = 0;
  out.ips = 0;
  out.ips_window = 0;
  out.prefixes = 0;
  out.asns = 0;
  out.asns_window = 0;
  out.countries = 0;
  out.countries_window = 0;
  out.ips_per_hour = 0;
  out.ttl_min = null;
  out.ttl_median = null;
  out.ttl_low_share = null;
  out.churn = null;
  out.ns_names = 0;
  out.ns_addresses = 0;
  out.ns_asns = 0;
  out.cname_targets = 0;
  out.clients = 0;
  out.names = 0;
  out.network_addresses = 0;
  out.network_share = 0;
  out.ns_network_addresses = 0;
  out.network_trust = 0;
  out.network_id = 0;
  out.network_size = 0;
  out.network_asns = 0;
  out.network_countries = 0;
  out.network_names = 0;
  out.answers_new = 0;
  out.answer_size_max = 0;
  out.span_hours = 0;
  out.ips_day = 0;
  out.asns_day = 0;
  out.countries_day = 0;
  out.slow_flux = 0;
  out.known_infra_share = 0;
  out.top_site_lists = 0;
  out.pool = 0;
  out.dynamic_dns = 0;
  out.non_routable = 0;
  out.single_country_asns = 0;
  return out;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "1 h", "30 min", "90 s" */
export function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
