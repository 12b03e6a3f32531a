/**
 * A MISP feed directory (feed format 'misp', as MISP's "Add feed" reads it):
 * one `<uuid>.json` event per flux network and one per UTC day for flagged
 * names in no network, `manifest.json` (event uuid → event summary) and
 * `hashes.csv` (md5 of each attribute value, event uuid; MISP's cache lookup).
 * Pure: the same verdicts and options give the same bytes (UUIDv5 ids, data
 * time for timestamps), so a re-run never creates duplicate events in MISP.
 */
import { createHash } from 'node:crypto';
import { isRegistrableVerdict } from '../../detect/registered-domain.js';
import { isActionable, type Verdict } from '../../model/verdict.js';
import { isFeedListing } from '../stix/bundle.js';
import { sharedReasons } from '../shared-reasons.js';
import type { Allowlist } from '../rpz/allowlist.js';
import { runSteps, type Steps } from '../steps.js';
import { DOMAIN_IP_TEMPLATE } from './domain-ip.js';
import { uuidv5 } from '../stix/uuid5.js';

/** RFC 9562's URL namespace; fluxhound's MISP namespace is derived from it, so anyone can recompute it. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
/** The namespace of every MISP uuid fluxhound writes (events, attributes, objects). Fixed: changing it duplicates every event in MISP. */
export const MISP_NAMESPACE = uuidv5(URL_NAMESPACE, 'https://fluxhound.dev/ns/misp');

export const TLP_LEVELS = ['clear', 'white', 'green', 'amber', 'amber+strict', 'red'] as const;
export type Tlp = (typeof TLP_LEVELS)[number];

/** Colours MISP's taxonomy gives the TLP tags (a consumer shows them as sent). */
const TLP_COLOUR: Record<Tlp, string> = {
  clear: '#ffffff',
  white: '#ffffff',
  green: '#339900',
  amber: '#ffc000',
  'amber+strict': '#ffc000',
  red: '#cc0033',
};

/** The MISP galaxy tag for ATT&CK T1568.001 (cluster value "<name> - <id>" in misp-galaxy's mitre-attack-pattern). */
export const ATTACK_FAST_FLUX_TAG = 'misp-galaxy:mitre-attack-pattern="Fast Flux DNS - T1568.001"';
export const FLUXHOUND_TAG = 'fluxhound';

export interface MispFeedOptions {
  org: { name: string; uuid: string };
  tlp: Tlp;
  /** Attribute and object distribution: 0 org, 1 community, 2 connected, 3 all, 5 inherit the event's. */
  distribution: 0 | 1 | 2 | 3 | 5;
  /** Evidence addresses kept per name (most recent first). */
  maxAddressesPerName?: number;
  /** The operator's allowlist: an allowlisted name or address is never shared as a trigger. */
  allowlist?: Pick<Allowlist, 'isAllowed' | 'isAllowedAddress'>;
  /** Known CDN/cloud ranges (data/reference): never shared as an address, whatever the evidence flag says. */
  infra?: { providerOfAddress(address: string): number } | null;
}

export interface MispTag {
  name: string;
  colour: string;
  exportable: boolean;
}
export interface MispAttribute {
  uuid: string;
  type: string;
  category: string;
  value: string;
  to_ids: boolean;
  timestamp: string;
  distribution: string;
  comment: string;
  object_relation?: string;
}
export interface MispObject {
  uuid: string;
  name: string;
  'meta-category': string;
  description: string;
  template_uuid: string;
  template_version: string;
  timestamp: string;
  distribution: string;
  comment: string;
  Attribute: MispAttribute[];
}
export interface MispEvent {
  uuid: string;
  info: string;
  date: string;
  threat_level_id: string;
  analysis: string;
  published: boolean;
  timestamp: string;
  publish_timestamp: string;
  Orgc: { name: string; uuid: string };
  Tag: MispTag[];
  Attribute: MispAttribute[];
  Object: MispObject[];
}
export interface ManifestEntry {
  Orgc: { name: string; uuid: string };
  Tag: MispTag[];
  info: string;
  date: string;
  analysis: string;
  threat_level_id: string;
  timestamp: string;
}
export interface MispFeed {
  events: MispEvent[];
  manifest: Record<string, ManifestEntry>;
  /** `md5,event-uuid` lines. */
  hashes: string[];
  /** File name → content, manifest.json and hashes.csv last. */
  files: { name: string; text: string }[];
  stats: { events: number; attributes: number; objects: number; skipped: { notActionable: number; invalidName: number; publicSuffix: number; allowlisted: number; addresses: number } };
}

/** What MISP's `domain` type accepts (letters, digits, '-', '_', dots, a TLD): escaped names (`\DDD`) are not shared. */
const MISP_DOMAIN = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}$/;
const MAX_ADDRESSES = 64;
/** MISP shows comments in one cell; a reason list past this is cut (never past a character). */
const MAX_COMMENT = 2000;

function seconds(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * One line, no control bytes: MISP shows the comment in a cell and analysts copy it to terminals.
 * Intel reasons say only that a feed lists it (act/shared-reasons): the partner's feed, entry and note stay here.
 */
function commentOf(v: Verdict): string {
  const text = `${v.verdict} ${v.flux ?? ''} score ${v.score}: ${sharedReasons(v.reasons).join('; ')}`.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
  return text.length <= MAX_COMMENT ? text : `${Array.from(text).slice(0, MAX_COMMENT - 1).join('')}…`;
}

/**
 * `${JSON.stringify({ Event: e })}\n`, an attribute and an object at a time
 * (the same bytes): an event of 20,000 names is megabytes of JSON. Attribute
 * and Object are the event's last two keys (MispEvent's order above).
 */
function* eventText(e: MispEvent): Steps<string> {
  const head = JSON.stringify({ Event: { ...e, Attribute: [], Object: [] } });
  const parts: string[] = [head.slice(0, head.length - '"Attribute":[],"Object":[]}}'.length), '"Attribute":['];
  let n = 0;
  for (let i = 0; i < e.Attribute.length; i++) {
    parts.push(`${i === 0 ? '' : ','}${JSON.stringify(e.Attribute[i])}`);
    if (++n % UNITS_PER_STEP === 0) yield;
  }
  parts.push('],"Object":[');
  for (let i = 0; i < e.Object.length; i++) {
    parts.push(`${i === 0 ? '' : ','}${JSON.stringify(e.Object[i])}`);
    if (++n % 32 === 0) yield;
  }
  parts.push(']}}\n');
  return parts.join('');
}

function tagsOf(tlp: Tlp): MispTag[] {
  return [
    { name: `tlp:${tlp}`, colour: TLP_COLOUR[tlp], exportable: true },
    { name: ATTACK_FAST_FLUX_TAG, colour: '#0088cc', exportable: true },
    { name: FLUXHOUND_TAG, colour: '#7a1f00', exportable: true },
  ];
}

interface Group {
  key: string;
  info: string;
  verdicts: Verdict[];
}

/** Flagged verdicts → events: one per flux network (features.network_id), one per UTC day for the rest. */
function* groupsOf(verdicts: Iterable<Verdict>, options: MispFeedOptions, stats: MispFeed['stats']): Steps<Group[]> {
  const byKey = new Map<string, Group>();
  const latest = new Map<string, Verdict>();
  let n = 0;
  for (const v of verdicts) {
    if (++n % UNITS_PER_STEP === 0) yield;
    // A feed's listing is another team's finding, not ours to publish (act/stix isFeedListing).
    if (!isActionable(v) || isFeedListing(v)) {
      stats.skipped.notActionable++;
      continue;
    }
    if (!MISP_DOMAIN.test(v.domain)) {
      stats.skipped.invalidName++;
      continue;
    }
    if (!isRegistrableVerdict(v)) {
      stats.skipped.publicSuffix++;
      continue;
    }
    if (options.allowlist?.isAllowed(v.domain) === true || options.allowlist?.isAllowed(v.registered_domain) === true) {
      stats.skipped.allowlisted++;
      continue;
    }
    // A name reported twice (a later verdict in the run) is shared once, as last reported.
    latest.set(v.domain, v);
  }
  for (const v of latest.values()) {
    if (++n % UNITS_PER_STEP === 0) yield;
    const id = v.features.network_id;
    const key = id > 0 ? `network:fn-${id}` : `day:${(v.first_flagged ?? v.last_seen).slice(0, 10)}`;
    let group = byKey.get(key);
    if (group === undefined) {
      group = { key, info: '', verdicts: [] };
      byKey.set(key, group);
    }
    group.verdicts.push(v);
  }
  const groups = [...byKey.values()];
  for (const g of groups) {
    g.verdicts.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
    g.info = g.key.startsWith('network:')
      ? `fluxhound: fast-flux network ${g.key.slice(8)} (${g.verdicts.length} names, ${g.verdicts[0]!.features.network_size} addresses in ${g.verdicts[0]!.features.network_asns} ASNs)`
      : `fluxhound: fast-flux names flagged on ${g.key.slice(4)} (${g.verdicts.length} names)`;
    yield;
  }
  return groups;
}

/** Cheap units (a verdict grouped, an attribute hashed or serialised) between two yields. */
const UNITS_PER_STEP = 256;

export function buildMispFeed(verdicts: Iterable<Verdict>, options: MispFeedOptions): MispFeed {
  return runSteps(mispFeedSteps(verdicts, options));
}

/**
 * buildMispFeed as steps: yields after each shared name, each event and each
 * few hundred attributes hashed or serialised, so the daemon rebuilds a feed
 * of any size without holding its event loop (serve/share).
 */
export function* mispFeedSteps(verdicts: Iterable<Verdict>, options: MispFeedOptions): Steps<MispFeed> {
  const stats: MispFeed['stats'] = { events: 0, attributes: 0, objects: 0, skipped: { notActionable: 0, invalidName: 0, publicSuffix: 0, allowlisted: 0, addresses: 0 } };
  const maxAddresses = options.maxAddressesPerName ?? MAX_ADDRESSES;
  const distribution = String(options.distribution);
  const events: MispEvent[] = [];
  for (const group of yield* groupsOf(verdicts, options, stats)) {
    // Keyed by the producer, the kind and the lowest member name (network numbers restart each run).
    const eventUuid = uuidv5(MISP_NAMESPACE, JSON.stringify(['event', options.org.uuid, group.key.split(':')[0], group.key.startsWith('day:') ? group.key : group.verdicts[0]!.domain]));
    const attrUuid = (...parts: string[]): string => uuidv5(MISP_NAMESPACE, JSON.stringify([eventUuid, ...parts]));
    const attributes: MispAttribute[] = [];
    const objects: MispObject[] = [];
    const seenIps = new Set<string>();
    let newest = 0;
    let oldest = Number.MAX_SAFE_INTEGER;
    let fastFlux = false;
    for (const v of group.verdicts) {
      yield;
      const ts = seconds(v.last_seen);
      const tsText = String(ts);
      newest = Math.max(newest, ts);
      oldest = Math.min(oldest, seconds(v.first_seen));
      if (v.verdict === 'fast-flux') fastFlux = true;
      const comment = commentOf(v);
      const attribute = (type: string, category: string, value: string, toIds: boolean, relation?: string): MispAttribute => ({
        uuid: attrUuid(relation === undefined ? 'attribute' : `object:${v.domain}`, type, relation ?? '', value),
        type,
        category,
        value,
        to_ids: toIds,
        timestamp: tsText,
        distribution,
        comment: relation === undefined ? comment : '',
        ...(relation === undefined ? {} : { object_relation: relation }),
      });
      attributes.push(attribute('domain', 'Network activity', v.domain, true));
      // Never a CDN/cloud address: it serves everyone, and to_ids would block them all.
      const ips = (v.evidence?.addresses ?? []).filter((a) => {
        const shared = !a.known && options.allowlist?.isAllowedAddress(a.address) !== true && (options.infra?.providerOfAddress(a.address) ?? -1) < 0;
        if (!shared) stats.skipped.addresses++;
        return shared;
      }).slice(0, maxAddresses);
      for (const a of ips) {
        if (seenIps.has(a.address)) continue;
        seenIps.add(a.address);
        attributes.push({ ...attribute('ip-dst', 'Network activity', a.address, true), comment: `answer of ${v.domain}` });
      }
      const objectAttributes = [
        attribute('domain', 'Network activity', v.domain, true, 'domain'),
        ...ips.map((a) => attribute('ip-dst', 'Network activity', a.address, true, 'ip')),
        attribute('datetime', 'Other', v.first_seen, false, 'first-seen'),
        attribute('datetime', 'Other', v.last_seen, false, 'last-seen'),
        attribute('text', 'Other', comment, false, 'text'),
      ];
      objects.push({
        uuid: attrUuid('object', DOMAIN_IP_TEMPLATE.name, v.domain),
        name: DOMAIN_IP_TEMPLATE.name,
        'meta-category': DOMAIN_IP_TEMPLATE.metaCategory,
        description: DOMAIN_IP_TEMPLATE.description,
        template_uuid: DOMAIN_IP_TEMPLATE.uuid,
        template_version: String(DOMAIN_IP_TEMPLATE.version),
        timestamp: tsText,
        distribution,
        comment: `fluxhound ${v.verdict}, score ${v.score}`,
        Attribute: objectAttributes,
      });
    }
    const date = new Date((oldest === Number.MAX_SAFE_INTEGER ? newest : oldest) * 1000).toISOString().slice(0, 10);
    events.push({
      uuid: eventUuid,
      info: group.info,
      date: group.key.startsWith('day:') ? group.key.slice(4) : date,
      threat_level_id: fastFlux ? '1' : '2',
      analysis: '2',
      published: true,
      timestamp: String(newest),
      publish_timestamp: String(newest),
      Orgc: { name: options.org.name, uuid: options.org.uuid },
      Tag: tagsOf(options.tlp),
      Attribute: attributes,
      Object: objects,
    });
    stats.attributes += attributes.length;
    stats.objects += objects.length;
  }
  events.sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
  stats.events = events.length;

  const manifest: Record<string, ManifestEntry> = {};
  const hashes: string[] = [];
  const files: MispFeed['files'] = [];
  for (const e of events) {
    manifest[e.uuid] = { Orgc: e.Orgc, Tag: e.Tag, info: e.info, date: e.date, analysis: e.analysis, threat_level_id: e.threat_level_id, timestamp: e.timestamp };
    // As PyMISP's feed generator: every attribute value, the event's own and its objects'.
    let n = 0;
    for (const a of e.Attribute) {
      hashes.push(`${md5(a.value)},${e.uuid}`);
      if (++n % UNITS_PER_STEP === 0) yield;
    }
    for (const o of e.Object) {
      for (const a of o.Attribute) hashes.push(`${md5(a.value)},${e.uuid}`);
      if (++n % 32 === 0) yield;
    }
    files.push({ name: `${e.uuid}.json`, text: yield* eventText(e) });
  }
  files.push({ name: 'manifest.json', text: `${JSON.stringify(manifest)}\n` });
  files.push({ name: 'hashes.csv', text: hashes.length === 0 ? '' : `${hashes.join('\n')}\n` });
  return { events, manifest, hashes, files, stats };
}
