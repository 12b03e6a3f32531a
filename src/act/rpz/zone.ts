/**
 * The RPZ zone of a set of verdicts: triggers per flagged name, the
 * configured action per verdict, the allowlist as PASSTHRU first; its
 * master-file text; and an atomic writer. The RPZ server (AXFR/IXFR) and the
 * zone file share buildRpzZone.
 */
import { blockedZoneOf, isRegistrable } from '../../detect/registered-domain.js';
import { ConfigError } from '../../config/errors.js';
import type { Config, PolicyAction } from '../../config/schema.js';
import type { Infra } from '../../enrich/infra/index.js';
import { canonicalName } from '../../model/names.js';
import type { Evidence, EvidenceAddress, IntelListing, Verdict } from '../../model/verdict.js';
import { escapeName } from '../../dns/name-text.js';
import { Allowlist, loadAllowlist } from './allowlist.js';
import { addressTrigger, MAX_WIRE, presentName, wireLength, type PresentedName } from './names.js';
import type { RpzRecord, RpzSoa, RpzZone } from './types.js';
import { formatZone, writeZoneFile } from './zone-file.js';

export { formatZone, writeZoneFile };

/** What a trigger gets. `passthru` is the allowlist's; the others come from config.policy. */
export type RpzAction = PolicyAction | 'passthru';

export interface RpzOptions {
  /** Zone origin, absolute, lower case: 'rpz.fluxhound.'. */
  origin: string;
  /** TTL of every record, seconds. */
  ttl: number;
  soa: Omit<RpzSoa, 'serial'>;
  /** Apex NS names, absolute. */
  ns: string[];
  /** rpz-nsdname triggers for the name servers of double-flux domains. */
  nsdname: boolean;
  /** rpz-nsip triggers for the addresses of those name servers. */
  nsip: boolean;
  /** rpz-ip triggers for flux answer addresses. */
  ip: boolean;
  /** Action per verdict label. */
  actions: { 'fast-flux': PolicyAction; suspicious: PolicyAction };
  /** The sinkhole answer: a CNAME to `name` (absolute) when set, else local A/AAAA data. */
  sinkhole: { name: string | null; ipv4: string; ipv6: string };
  /** Never emitted as a trigger; written first as PASSTHRU. */
  allowlist: Allowlist;
  /** Known CDNs/clouds/top sites: their addresses and name servers are never triggers; null = only `known` evidence flags. */
  infra: Infra | null;
}

/** What the builder reads of a verdict (a Verdict is one); sinks keep only this for big runs. */
export interface RpzVerdict {
  domain: string;
  registered_domain: string;
  /** The delegated zone below the registered domain the verdict blocks instead of it (Verdict.zone). */
  zone?: string | null;
  verdict: Verdict['verdict'];
  flux: Verdict['flux'];
  evidence: Pick<Evidence, 'addresses' | 'name_servers' | 'ns_addresses'>;
  /** Intel provenance (Verdict.intel, the first few): named in the trigger's comment; a listing's action 'log' keeps it out. */
  intel?: readonly IntelListing[];
}

/** Listings a trigger's comment names: the most specific few (a verdict holds at most five). */
const COMMENT_LISTINGS = 3;

/** The part of a verdict the zone needs under these options (drops features, reasons and unused evidence). */
export function rpzVerdictOf(v: Verdict, options: Pick<RpzOptions, 'nsdname' | 'nsip' | 'ip'>): RpzVerdict {
  const double = v.flux === 'double';
  return {
    domain: v.domain,
    registered_domain: v.registered_domain,
    ...(v.zone == null ? {} : { zone: v.zone }),
    verdict: v.verdict,
    flux: v.flux,
    ...(v.intel === undefined || v.intel.length === 0 ? {} : { intel: v.intel.slice(0, COMMENT_LISTINGS) }),
    evidence: {
      addresses: options.ip ? v.evidence.addresses : [],
      name_servers: double && options.nsdname ? v.evidence.name_servers : [],
      ns_addresses: double && options.nsip ? v.evidence.ns_addresses : [],
    },
  };
}

/** What a build left out, for logs and metrics. */
export interface RpzBuildStats {
  verdicts: number;
  /** Flagged verdicts whose action is `log` or whose name is allowlisted. */
  notBlocked: number;
  /** Names that cannot be written as a trigger (empty or over-long labels, over 255 octets, a public suffix, an rpz-* label). */
  invalidNames: number;
  /** Addresses left out: known CDN/cloud, allowlisted, or not an address. */
  skippedAddresses: number;
  /** Name servers left out: allowlisted or known infrastructure. */
  skippedNameServers: number;
}

export function emptyBuildStats(): RpzBuildStats {
  return { verdicts: 0, notBlocked: 0, invalidNames: 0, skippedAddresses: 0, skippedNameServers: 0 };
}

/**
 * RPZ options from config.rpz and config.policy; reads the allowlist files
 * (call again to reload them). Names in the config that cannot be written
 * safely are a ConfigError.
 */
export function rpzOptionsOf(config: Config, infra: Infra | null = null): RpzOptions {
  const { rpz, policy } = config;
  const origin = absoluteName(rpz.origin, 'rpz.origin');
  const mname = absoluteName(rpz.soa.mname, 'rpz.soa.mname');
  return {
    origin,
    ttl: rpz.ttl,
    soa: {
      mname,
      rname: absoluteName(rpz.soa.rname, 'rpz.soa.rname'),
      refresh: rpz.soa.refresh,
      retry: rpz.soa.retry,
      expire: rpz.soa.expire,
      minimum: rpz.soa.minimum,
    },
    ns: [mname],
    nsdname: rpz.nsdname,
    nsip: rpz.nsip,
    ip: rpz.ip,
    actions: { 'fast-flux': policy.fastFlux, suspicious: policy.suspicious },
    sinkhole: {
      name: policy.sinkhole.name === null ? null : absoluteName(policy.sinkhole.name, 'policy.sinkhole.name'),
      ipv4: policy.sinkhole.ipv4,
      ipv6: policy.sinkhole.ipv6,
    },
    allowlist: loadAllowlist(policy),
    infra,
  };
}

/** A config name as an absolute presentation name; only LDH labels are accepted here (no escapes in config). */
function absoluteName(name: string, where: string): string {
  const n = canonicalName(name);
  const p = presentName(n);
  if (p === null || p.text !== n) {
    throw new ConfigError(`config: ${where}: ${JSON.stringify(name.slice(0, 80))} is not a domain name (letters, digits, '-', '_' in labels of 1-63)`);
  }
  return `${n}.`;
}

const ACTION_DATA: Record<'nxdomain' | 'nodata' | 'drop' | 'passthru', string> = {
  nxdomain: '.',
  nodata: '*.',
  drop: 'rpz-drop.',
  passthru: 'rpz-passthru.',
};

/** The records an action puts at one owner; empty for `log`. */
export function actionRecords(owner: string, action: RpzAction, sinkhole: RpzOptions['sinkhole']): RpzRecord[] {
  switch (action) {
    case 'log':
      return [];
    case 'sinkhole':
      if (sinkhole.name !== null) return [{ owner, type: 'CNAME', data: sinkhole.name }];
      return [
        { owner, type: 'A', data: sinkhole.ipv4 },
        { owner, type: 'AAAA', data: sinkhole.ipv6 },
      ];
    default:
      return [{ owner, type: 'CNAME', data: ACTION_DATA[action] }];
  }
}

/** Octets 'rpz-nsdname' adds to an owner (label + length octet). */
const NSDNAME_WIRE = 12;

const LABEL_ORDER = { 'fast-flux': 0, suspicious: 1, benign: 2 } as const;

/**
 * The zone for these flagged verdicts (benign ones ignored; allowlisted
 * never emitted; allowlist PASSTHRU first). Fast-flux verdicts come before
 * suspicious ones and each owner appears once, so where two verdicts share a
 * trigger (a registered domain, a name server) the stronger one's action
 * holds. Order is stable: by label, then name.
 */
export function buildRpzZone(verdicts: Iterable<RpzVerdict>, options: RpzOptions, serial: number, stats: RpzBuildStats = emptyBuildStats()): RpzZone {
  const builder = new ZoneBuilder(options, stats);
  builder.allowlist();
  const flagged: RpzVerdict[] = [];
  for (const v of verdicts) {
    stats.verdicts++;
    if (v.verdict !== 'benign') flagged.push(v);
  }
  flagged.sort((a, b) => LABEL_ORDER[a.verdict] - LABEL_ORDER[b.verdict] || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
  for (const v of flagged) builder.verdict(v);
  return {
    origin: options.origin,
    ttl: options.ttl,
    soa: { ...options.soa, serial: serialOf(serial) },
    ns: options.ns,
    records: builder.records,
  };
}

/** A serial in 1..2^32-1 (0 is legal but confuses people and some tools). */
function serialOf(serial: number): number {
  const s = Math.floor(serial) >>> 0;
  return s === 0 ? 1 : s;
}

/**
 * The next zone serial after `previous` (RFC 1982): `candidate` when it is
 * ahead of previous in serial arithmetic, else previous + 1 (wrapping, never 0).
 */
export function nextSerial(previous: number | null, candidate: number): number {
  const c = serialOf(candidate);
  if (previous === null) return c;
  const diff = (c - previous) >>> 0;
  if (diff !== 0 && diff < 0x80000000) return c;
  return serialOf(previous + 1);
}

class ZoneBuilder {
  readonly records: RpzRecord[] = [];
  private readonly owners = new Set<string>();
  /** Wire octets a relative owner may take (without the root): the origin follows it. */
  private readonly room: number;

  constructor(
    private readonly options: RpzOptions,
    private readonly stats: RpzBuildStats,
  ) {
    this.room = MAX_WIRE - wireLength(options.origin);
  }

  allowlist(): void {
    const { allowlist } = this.options;
    for (const name of allowlist.names) {
      const p = this.triggerName(name);
      if (p === null) continue;
      this.addWithWildcard(p, 'passthru');
    }
    if (this.options.ip || this.options.nsip) {
      for (const entry of allowlist.addresses) {
        const slash = entry.indexOf('/');
        const t = slash === -1 ? addressTrigger(entry) : addressTrigger(entry.slice(0, slash), Number(entry.slice(slash + 1)));
        if (t === null) continue;
        if (this.options.ip) this.add(`${t}.rpz-ip`, 'passthru');
        if (this.options.nsip) this.add(`${t}.rpz-nsip`, 'passthru');
      }
    }
  }

  verdict(v: RpzVerdict): void {
    const { allowlist, actions } = this.options;
    const action = actions[v.verdict as 'fast-flux' | 'suspicious'];
    const zone = blockedZoneOf(v);
    // A feed's listing of the name (no flux measured) follows the feed's action: a 'log' feed's listing is recorded, never a trigger.
    const listing = v.intel?.[0];
    const logOnly = listing !== undefined && listing.kind === 'domain' && v.flux === null && listing.action === 'log';
    if (action === 'log' || logOnly || allowlist.isAllowed(v.domain) || allowlist.isAllowed(zone) || allowlist.isAllowed(v.registered_domain)) {
      this.stats.notBlocked++;
      return;
    }
    const firstRecord = this.records.length;
    // The name and the zone it blocks: its registered domain, or its delegated zone below it (a shared registry's customer).
    for (const name of zone === v.domain || zone === '' ? [v.domain] : [v.domain, zone]) {
      const p = isRegistrable(name) ? this.triggerName(name) : null;
      if (p === null) {
        this.stats.invalidNames++;
        continue;
      }
      this.addWithWildcard(p, action);
    }
    if (v.intel !== undefined && v.intel.length > 0 && this.records.length > firstRecord) this.records[firstRecord]!.comment = intelComment(v.intel);
    if (v.flux === 'double' && this.options.nsdname) {
      for (const ns of v.evidence.name_servers) {
        const name = canonicalName(ns);
        if (this.isKnownName(name)) {
          this.stats.skippedNameServers++;
          continue;
        }
        const p = this.triggerName(name);
        if (p === null || p.wire - 1 + NSDNAME_WIRE > this.room) this.stats.invalidNames++;
        else this.add(`${p.text}.rpz-nsdname`, action);
      }
    }
    if (v.flux === 'double' && this.options.nsip) this.addresses(v.evidence.ns_addresses, 'rpz-nsip', action);
    if (this.options.ip) this.addresses(v.evidence.addresses, 'rpz-ip', action);
  }

  private addresses(list: readonly EvidenceAddress[], kind: string, action: RpzAction): void {
    for (const a of list) {
      const t = a.known || this.isKnownAddress(a.address) ? null : addressTrigger(a.address);
      if (t === null) this.stats.skippedAddresses++;
      else this.add(`${t}.${kind}`, action);
    }
  }

  private isKnownAddress(address: string): boolean {
    if (this.options.allowlist.isAllowedAddress(address)) return true;
    return this.options.infra !== null && this.options.infra.providerOfAddress(address) >= 0;
  }

  /** Name servers of CDNs, big DNS hosts and top sites serve many legitimate zones: never block by them. */
  private isKnownName(name: string): boolean {
    if (this.options.allowlist.isAllowed(name)) return true;
    const infra = this.options.infra;
    if (infra === null) return false;
    if (infra.cnameProvider(name) >= 0) return true;
    for (let n = name, dot = n.indexOf('.'); dot >= 0; n = n.slice(dot + 1), dot = n.indexOf('.')) {
      if (infra.isTopSite(n)) return true;
    }
    return false;
  }

  /**
   * The escaped relative owner for `name`, or null when it cannot be a
   * trigger: not a DNS name, too long under the origin, or carrying a label
   * that starts with 'rpz-' (it would read as an address or NSDNAME trigger
   * or an action, whatever the escaping).
   */
  private triggerName(name: string): PresentedName | null {
    const p = presentName(name);
    if (p === null || p.labels < 2 || p.wire - 1 > this.room) return null;
    if (p.text.startsWith('rpz-') || p.text.includes('.rpz-')) return null;
    return p;
  }

  /** True when the owner was new (and its records were added). */
  private add(owner: string, action: RpzAction): boolean {
    if (this.owners.has(owner)) return false;
    const records = actionRecords(owner, action, this.options.sinkhole);
    if (records.length === 0) return false;
    this.owners.add(owner);
    for (const r of records) this.records.push(r);
    return true;
  }

  /**
   * `name` and `*.name` (when it still fits under the origin). The wildcard
   * is new exactly when the name is ('*' is escaped everywhere else), so it
   * skips the owner set: half the hashing on a million-name zone.
   */
  private addWithWildcard(p: PresentedName, action: RpzAction): void {
    if (!this.add(p.text, action) || p.wire + 1 > this.room) return;
    for (const r of actionRecords(`*.${p.text}`, action, this.options.sinkhole)) this.records.push(r);
  }
}

/**
 * "intel: domain flux-cdn.biz listed by botnet-c2 entry botnet-c2.txt:1 (confidence 90, block)": the
 * provenance of a trigger, each field in the one name rule (a feed name or
 * entry id can hold anything; escaped, nothing in it ends the comment line).
 */
export function intelComment(listings: readonly IntelListing[]): string {
  const parts: string[] = [];
  for (const l of listings.slice(0, COMMENT_LISTINGS)) {
    parts.push(`${l.kind} ${escapeName(l.value)} listed by ${escapeName(l.feed.slice(0, 200))} entry ${escapeName(l.ref.slice(0, 200))} (confidence ${l.confidence}, ${l.action})`);
  }
  return `intel: ${parts.join(', ')}`;
}
