/** Builders for Verdicts in tests of the actions (RPZ, blocklists, block page). */
import { emptyFeatures } from '../../src/detect/features/index.js';
import type { EvidenceAddress, Verdict } from '../../src/model/verdict.js';

export interface VerdictSpec {
  registered?: string;
  /** Verdict.zone: a delegated zone below the registered domain. */
  zone?: string;
  label?: Verdict['verdict'];
  flux?: Verdict['flux'];
  reasons?: string[];
  addresses?: Array<string | Partial<EvidenceAddress>>;
  nameServers?: string[];
  nsAddresses?: string[];
  firstSeen?: string;
  lastSeen?: string;
}

const LAST = '2025-04-03T03:58:26.000Z';

function evidence(a: string | Partial<EvidenceAddress>, lastSeen: string): EvidenceAddress {
  return typeof a === 'string'
    ? { address: a, last_seen: lastSeen, asn: 64500, known: false }
    : { address: '192.0.2.1', last_seen: lastSeen, asn: null, known: false, ...a };
}

export function flaggedVerdict(domain: string, spec: VerdictSpec = {}): Verdict {
  const lastSeen = spec.lastSeen ?? LAST;
  return {
    domain,
    registered_domain: spec.registered ?? domain,
    scope: 'name',
    verdict: spec.label ?? 'fast-flux',
    flux: spec.flux === undefined ? 'single' : spec.flux,
    score: spec.label === 'benign' ? 0 : 90,
    reasons: spec.reasons ?? ['74 IPs in 19 ASNs across 17 countries and 63 prefixes'],
    features: emptyFeatures(),
    contributions: [],
    first_seen: spec.firstSeen ?? '2025-04-03T00:16:24.000Z',
    last_seen: lastSeen,
    first_flagged: spec.firstSeen ?? '2025-04-03T00:16:24.000Z',
    lookups_to_flag: 1,
    enrichment: [],
    network: null,
    evidence: {
      addresses: (spec.addresses ?? []).map((a) => evidence(a, lastSeen)),
      name_servers: spec.nameServers ?? [],
      ns_addresses: (spec.nsAddresses ?? []).map((a) => evidence(a, lastSeen)),
    },
    ...(spec.zone === undefined ? {} : { zone: spec.zone }),
  };
}
