/**
 * A run's findings as one STIX 2.1 bundle: per flagged name an indicator,
 * the domain-name and address SCOs behind it, one infrastructure object per
 * flux network, and the relationships between them, all made by one
 * identity under one TLP marking. Pure and deterministic: the same verdicts
 * give the same bytes (ids from content, times from the data, sorted).
 */
import type { FluxNetworkSummary } from '../../detect/networks.js';
import { isActionable, isoTime, type Verdict } from '../../model/verdict.js';
import { sharedReasons } from '../shared-reasons.js';
import { domainPattern } from './pattern.js';
import { runSteps, sortSteps, type Steps } from '../steps.js';
import { tlpMarking, type TlpLevel } from './tlp.js';
import { FLUXHOUND_NAMESPACE, fluxhoundId, scoId, uuidv5Hasher } from './uuid5.js';

export interface StixOptions {
  /** The producer's name on the identity object (config stix.identity). */
  identity: string;
  tlp: TlpLevel;
  /** Seconds an indicator stays valid after the name was last seen (config policy.expiry). */
  expiry: number;
  /** Also share suspicious names (indicator_types anomalous-activity); fast-flux ones always. */
  suspicious: boolean;
  /** ISO time used only where the data has none (a verdict without times); default the epoch. */
  now?: string;
}

/** What a bundle needs of a verdict; the sink keeps only this (not the features) per shared name. */
export type StixVerdict = Pick<
  Verdict,
  'domain' | 'scope' | 'verdict' | 'flux' | 'score' | 'reasons' | 'first_seen' | 'last_seen' | 'first_flagged' | 'network' | 'tampering' | 'listed' | 'intel'
> & { evidence: Pick<Verdict['evidence'], 'addresses'> };

export type StixObject = { type: string; id: string; [property: string]: unknown };
export interface StixBundle {
  type: 'bundle';
  id: string;
  objects: StixObject[];
}

/** When fluxhound's identity object was first defined: fixed, so its id and version never move. */
const IDENTITY_CREATED = '2026-01-01T00:00:00.000Z';
const ATTACK_FAST_FLUX = {
  source_name: 'mitre-attack',
  external_id: 'T1568.001',
  url: 'https://attack.mitre.org/techniques/T1568/001/',
};
/** Caps so a hostile verdict cannot grow one object without bound. */
const MAX_REASONS = 20;
const MAX_ADDRESSES = 256;

/** The parts of a verdict a bundle uses, capped: what the sink holds per name until the end. */
export function stixVerdictOf(v: Verdict): StixVerdict {
  return {
    domain: v.domain,
    scope: v.scope,
    verdict: v.verdict,
    flux: v.flux,
    score: v.score,
    reasons: v.reasons.slice(0, MAX_REASONS),
    first_seen: v.first_seen,
    last_seen: v.last_seen,
    first_flagged: v.first_flagged,
    network: v.network,
    evidence: { addresses: v.evidence.addresses.filter((a) => !a.known).slice(0, MAX_ADDRESSES) },
  };
}

/**
 * The verdicts a bundle shares: actionable, fast-flux always, suspicious when
 * asked; never the operator's deny entries, and never a feed's listing of a
 * name (no flux measured, Verdict.intel names the feed): re-shared, another
 * team's finding would come back to its source as ours, and two fluxhounds
 * polling each other would echo it for ever. A detection that a feed also
 * lists is ours, and shared.
 */
export function isShared(v: StixVerdict, options: Pick<StixOptions, 'suspicious'>): boolean {
  return isActionable(v) && v.listed === undefined && !isFeedListing(v) && (v.verdict === 'fast-flux' || options.suspicious);
}

/** detect/intel-verdict's listing verdict, by the fields a trimmed verdict keeps (as act/rpz and act/explain tell it). */
export function isFeedListing(v: Pick<Verdict, 'flux' | 'intel'>): boolean {
  return v.flux === null && v.intel !== undefined && v.intel.length > 0 && v.intel[0]!.kind === 'domain';
}

export function buildStixBundle(verdicts: readonly StixVerdict[], networks: readonly FluxNetworkSummary[], options: StixOptions): StixBundle {
  return runSteps(stixBundleSteps(verdicts, networks, options));
}

/** Objects hashed or bundle ids fed between two yields of the last steps. */
const IDS_PER_STEP = 1024;

/**
 * buildStixBundle as steps: yields after each verdict, each network, and
 * through the final sort and the bundle id, so the daemon can build a bundle
 * of 100,000 objects without holding its event loop (serve/share).
 */
export function* stixBundleSteps(verdicts: readonly StixVerdict[], networks: readonly FluxNetworkSummary[], options: StixOptions): Steps<StixBundle> {
  const fallback = options.now ?? isoTime(0);
  const marking = tlpMarking(options.tlp);
  const identity = {
    type: 'identity',
    spec_version: '2.1',
    id: fluxhoundId('identity', { name: options.identity, identity_class: 'organization' }),
    created: IDENTITY_CREATED,
    modified: IDENTITY_CREATED,
    name: options.identity,
    identity_class: 'organization',
    object_marking_refs: [marking.id],
  };
  const common = { spec_version: '2.1', created_by_ref: identity.id, object_marking_refs: [marking.id] };
  const objects = new Map<string, StixObject>([
    [marking.id, marking],
    [identity.id, identity],
  ]);
  const add = (o: StixObject): void => {
    if (!objects.has(o.id)) objects.set(o.id, o);
  };
  const relate = (type: string, source: string, target: string, created: string, modified: string): void =>
    add({
      type: 'relationship',
      ...common,
      id: fluxhoundId('relationship', { relationship_type: type, source_ref: source, target_ref: target }),
      created,
      modified,
      relationship_type: type,
      source_ref: source,
      target_ref: target,
    });

  // Members of each network, gathered from the verdicts: the summaries carry counts, not addresses.
  const members = new Map<string, { ids: Set<string>; indicators: Set<string>; first: string; last: string }>();
  const shared = strongestPerName(verdicts.filter((v) => isShared(v, options)));
  for (const v of shared) {
    yield;
    const first = v.first_seen || fallback;
    const last = v.last_seen || first;
    const validFrom = v.first_flagged ?? first;
    const domain = { type: 'domain-name', spec_version: '2.1', id: scoId('domain-name', { value: v.domain }), value: v.domain, object_marking_refs: [marking.id] };
    add(domain);
    const pattern = domainPattern(v.domain);
    const indicator: StixObject = {
      type: 'indicator',
      ...common,
      // One indicator per flagging episode: STIX 2.1 forbids `created` to change between versions of one id, and a
      // name flagged again after expiry (or by another run) starts a new episode with a new first_flagged = created.
      id: fluxhoundId('indicator', { pattern, valid_from: validFrom }),
      created: validFrom,
      modified: laterOf(validFrom, last),
      name: v.domain,
      description: describe(v),
      indicator_types: [v.verdict === 'fast-flux' ? 'malicious-activity' : 'anomalous-activity'],
      pattern,
      pattern_type: 'stix',
      valid_from: validFrom,
      valid_until: isoTime(Date.parse(last) / 1000 + options.expiry),
      confidence: Math.max(0, Math.min(100, Math.round(v.score))),
      external_references: [ATTACK_FAST_FLUX],
    };
    add(indicator);
    const net = v.network === null ? undefined : (members.get(v.network) ?? { ids: new Set<string>(), indicators: new Set<string>(), first, last });
    if (net !== undefined && v.network !== null) {
      members.set(v.network, net);
      net.ids.add(domain.id);
      net.indicators.add(indicator.id);
      if (first < net.first) net.first = first;
      if (last > net.last) net.last = last;
    }
    // CDN/cloud addresses are never shared as flux infrastructure: a consumer would block a shared platform.
    for (const a of v.evidence.addresses.filter((e) => !e.known).slice(0, MAX_ADDRESSES)) {
      const type = a.address.includes(':') ? 'ipv6-addr' : 'ipv4-addr';
      const address = { type, spec_version: '2.1', id: scoId(type, { value: a.address }), value: a.address, object_marking_refs: [marking.id] };
      add(address);
      relate('resolves-to', domain.id, address.id, first, last);
      net?.ids.add(address.id);
    }
  }

  const summaries = new Map(networks.map((n) => [n.id, n]));
  for (const [networkId, net] of members) {
    const summary = summaries.get(networkId);
    const first = summary?.first_seen || net.first;
    const last = laterOf(first, summary?.last_seen || net.last);
    const infrastructure: StixObject = {
      type: 'infrastructure',
      ...common,
      id: fluxhoundId('infrastructure', { name: `flux network ${networkId}`, first_seen: first }),
      created: first,
      modified: last,
      name: `fluxhound flux network ${networkId}`,
      description:
        summary === undefined
          ? 'A fast-flux service network: names that resolve into one shared, changing pool of addresses.'
          : `A fast-flux service network: ${summary.domains} domains over ${summary.addresses} addresses in ${summary.asns} ASNs and ${summary.countries} countries.`,
      infrastructure_types: ['botnet'],
      first_seen: first,
      last_seen: last,
    };
    add(infrastructure);
    let n = 0;
    for (const id of net.ids) {
      relate('consists-of', infrastructure.id, id, first, last);
      if (++n % IDS_PER_STEP === 0) yield;
    }
    for (const id of net.indicators) {
      relate('indicates', id, infrastructure.id, first, last);
      if (++n % IDS_PER_STEP === 0) yield;
    }
    yield;
  }

  const sorted = yield* sortSteps([...objects.values()], (a, b) => compare(a.type, b.type) || compare(a.id, b.id));
  // fluxhoundId('bundle', { objects: ids }) fed in parts: canonical JSON sorts the keys, "objects" before "type".
  const hasher = uuidv5Hasher(FLUXHOUND_NAMESPACE);
  hasher.update('{"objects":[');
  for (let i = 0; i < sorted.length; i += IDS_PER_STEP) {
    hasher.update(`${i === 0 ? '' : ','}${sorted.slice(i, i + IDS_PER_STEP).map((o) => JSON.stringify(o.id)).join(',')}`);
    yield;
  }
  hasher.update('],"type":"bundle"}');
  return { type: 'bundle', id: `bundle--${hasher.digest()}`, objects: sorted };
}

/** The bundle as a file: two-space JSON and a final newline, byte-identical for the same bundle. */
export function stixText(bundle: StixBundle): string {
  return JSON.stringify(bundle, null, 2) + '\n';
}

/**
 * stixText in parts, one object at a time (their concatenation is stixText's
 * bytes): a consumer that writes as it goes (writeFileAtomic) serialises a
 * 64 MB bundle between its writes instead of in one 0.4 s call.
 */
export function* stixTextParts(bundle: StixBundle): Generator<string, void, void> {
  if (bundle.objects.length === 0) {
    yield stixText(bundle);
    return;
  }
  // JSON.stringify(bundle, null, 2): the header, each object indented one level more, the footer. A newline
  // inside a string is escaped (\n), so every raw newline of an object's text is structure, to indent.
  yield `{\n  "type": ${JSON.stringify(bundle.type)},\n  "id": ${JSON.stringify(bundle.id)},\n  "objects": [\n`;
  let first = true;
  for (const o of bundle.objects) {
    yield `${first ? '' : ',\n'}    ${JSON.stringify(o, null, 2).replaceAll('\n', '\n    ')}`;
    first = false;
  }
  yield '\n  ]\n}\n';
}

/**
 * One verdict per name: a registered domain can be judged on its own and for
 * all names under it together (two scopes, one name, one pattern). The
 * higher score wins; on a tie the name's own verdict. Sorted by name.
 */
function strongestPerName(verdicts: readonly StixVerdict[]): StixVerdict[] {
  const byName = new Map<string, StixVerdict>();
  for (const v of verdicts) {
    const held = byName.get(v.domain);
    if (held === undefined || v.score > held.score || (v.score === held.score && v.scope === 'name' && held.scope !== 'name')) byName.set(v.domain, v);
  }
  return [...byName.values()].sort((a, b) => compare(a.domain, b.domain));
}

function describe(v: StixVerdict): string {
  const kind = v.flux === null ? v.verdict : `${v.verdict} (${v.flux} flux)`;
  // Shared: intel reasons say only that a feed lists it (act/shared-reasons), never which feed, entry or note.
  const reasons = sharedReasons(v.reasons.slice(0, MAX_REASONS)).join('; ');
  const scope = v.scope === 'registered_domain' ? ' Judged over all names under it together.' : '';
  const network = v.network === null ? '' : ` Member of flux network ${v.network}.${scope}`;
  return `fluxhound: ${kind}, score ${Math.round(v.score)}/100.${network} ${reasons}`.trim();
}

function laterOf(a: string, b: string): string {
  return b > a ? b : a;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
