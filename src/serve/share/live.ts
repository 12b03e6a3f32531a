/**
 * What the daemon shares, read from its live state: the flagged set
 * (act/flagged) and the detector's flux networks, turned into the same
 * STIX 2.1 bundle and MISP feed `analyze --stix` / `--misp-feed` write.
 * `serve --stix`, `serve --misp-feed` and the TAXII findings collection all
 * read here, so the three never disagree about what was found.
 */
import type { FlaggedDomains } from '../../act/flagged.js';
import { buildMispFeed, type MispFeed, type MispFeedOptions } from '../../act/misp/feed.js';
import { loadAllowlist } from '../../act/rpz/allowlist.js';
import { buildStixBundle, isShared, stixVerdictOf, type StixBundle, type StixOptions, type StixVerdict } from '../../act/stix/bundle.js';
import type { Config } from '../../config/schema.js';
import type { FluxNetworkSummary } from '../../detect/networks.js';
import { isIntelListing } from '../../detect/intel-verdict.js';
import type { Infra } from '../../enrich/infra/index.js';
import type { Verdict } from '../../model/verdict.js';

/** Names shared at most: past it the rest wait (counted) until some expire. Bounds a rewrite's time and size. */
export const MAX_SHARED_NAMES = 20_000;

/** What the sharing needs of the daemon (a ServeContext has it). */
export interface LiveFindings {
  flagged: FlaggedDomains;
  /** The detector's flux networks (their counts and times describe each infrastructure object). */
  networks(): FluxNetworkSummary[];
}

/**
 * The flagged verdicts fluxhound found itself: never a partner's intel
 * listing (re-publishing what a feed told us would echo it back to its
 * source as our finding), never the operator's deny entries (isShared).
 * Sorted by name, at most `max`: the same set gives the same list.
 */
export function ownFindings(flagged: FlaggedDomains, max = MAX_SHARED_NAMES): { verdicts: Verdict[]; held: number } {
  const verdicts: Verdict[] = [];
  for (const v of flagged.entries()) if (v.listed === undefined && !isIntelListing(v)) verdicts.push(v);
  verdicts.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
  const held = Math.max(0, verdicts.length - max);
  if (held > 0) verdicts.length = max;
  return { verdicts, held };
}

/** The STIX options of a config: the producer, the marking, the policy's expiry (serve has no --stix-tlp: config only). */
export function stixOptionsOf(config: Config): StixOptions {
  return { identity: config.stix.identity, tlp: config.stix.tlp, suspicious: config.stix.suspicious, expiry: config.policy.expiry };
}

/** The MISP feed options of a config, with the operator's allowlist files and the known CDN/cloud ranges. */
export function mispOptionsOf(config: Config, infra: Infra | null): MispFeedOptions {
  return { org: config.misp.org, tlp: config.misp.tlp, distribution: config.misp.distribution, allowlist: loadAllowlist(config.policy), infra };
}

/** The live findings as one STIX bundle (byte-identical for the same flagged set and networks). */
export function liveStixBundle(live: LiveFindings, options: StixOptions): { bundle: StixBundle; held: number } {
  const { verdicts, held } = ownFindings(live.flagged);
  const shared: StixVerdict[] = [];
  for (const v of verdicts) if (isShared(v, options)) shared.push(stixVerdictOf(v));
  return { bundle: buildStixBundle(shared, live.networks(), options), held };
}

/** The live findings as one MISP feed. */
export function liveMispFeed(live: LiveFindings, options: MispFeedOptions): { feed: MispFeed; held: number } {
  const { verdicts, held } = ownFindings(live.flagged);
  return { feed: buildMispFeed(verdicts, options), held };
}
