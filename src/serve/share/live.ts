/**
 * What the daemon shares, read from its live state: the flagged set
 * (act/flagged) and the detector's flux networks, turned into the same
 * STIX 2.1 bundle and MISP feed `analyze --stix` / `--misp-feed` write.
 * `serve --stix`, `serve --misp-feed` and the TAXII findings collection all
 * read here, so the three never disagree about what was found.
 */
import type { FlaggedDomains } from '../../act/flagged.js';
import { mispFeedSteps, type MispFeed, type MispFeedOptions } from '../../act/misp/feed.js';
import { loadAllowlist } from '../../act/rpz/allowlist.js';
import { runSteps, sortSteps, type Steps } from '../../act/steps.js';
import { isShared, stixBundleSteps, stixVerdictOf, type StixBundle, type StixOptions, type StixVerdict } from '../../act/stix/bundle.js';
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
  return runSteps(ownFindingsSteps(flagged, max));
}

/** Flagged names read between two yields. */
const NAMES_PER_STEP = 512;

/**
 * ownFindings as steps (act/steps.ts). The flagged set is read on the first
 * step, at once: a slice boundary never splits its iteration (a change
 * meanwhile would be half seen); the filtering and the sort yield.
 */
export function* ownFindingsSteps(flagged: FlaggedDomains, max = MAX_SHARED_NAMES): Steps<{ verdicts: Verdict[]; held: number }> {
  const all = [...flagged.entries()];
  yield;
  const verdicts: Verdict[] = [];
  for (let i = 0; i < all.length; i++) {
    const v = all[i]!;
    if (v.listed === undefined && !isIntelListing(v)) verdicts.push(v);
    if (i % NAMES_PER_STEP === NAMES_PER_STEP - 1) yield;
  }
  yield* sortSteps(verdicts, (a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
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
  return runSteps(liveStixBundleSteps(live, options));
}

/**
 * liveStixBundle as steps: the daemon runs them in slices (serve/slices.ts
 * runStepsYielding) so its DNS answers never wait for a whole rebuild. The
 * networks are read with the flagged set, on the first step.
 */
export function* liveStixBundleSteps(live: LiveFindings, options: StixOptions): Steps<{ bundle: StixBundle; held: number }> {
  const networks = live.networks();
  const { verdicts, held } = yield* ownFindingsSteps(live.flagged);
  const shared: StixVerdict[] = [];
  for (let i = 0; i < verdicts.length; i++) {
    if (isShared(verdicts[i]!, options)) shared.push(stixVerdictOf(verdicts[i]!));
    if (i % NAMES_PER_STEP === NAMES_PER_STEP - 1) yield;
  }
  return { bundle: yield* stixBundleSteps(shared, networks, options), held };
}

/** The live findings as one MISP feed. */
export function liveMispFeed(live: LiveFindings, options: MispFeedOptions): { feed: MispFeed; held: number } {
  return runSteps(liveMispFeedSteps(live, options));
}

/** liveMispFeed as steps. */
export function* liveMispFeedSteps(live: LiveFindings, options: MispFeedOptions): Steps<{ feed: MispFeed; held: number }> {
  const { verdicts, held } = yield* ownFindingsSteps(live.flagged);
  return { feed: yield* mispFeedSteps(verdicts, options), held };
}
