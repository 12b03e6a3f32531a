/**
 * The shapes of the /api/v1/ answers the console reads (the OpenAPI document
 * at /api/v1/openapi.json is the contract). The records themselves are the
 * model's, imported as types only: nothing of src/ runs in the browser.
 */
import type { AuditEntry, ListEntry, QueryLogEntry, QueryRule } from '../model/query-log.js';
import type { Verdict, VerdictLabel, FluxKind } from '../model/verdict.js';
import type { Exposure, FlowEvidence } from '../model/flow.js';

export type { AuditEntry, ListEntry, QueryLogEntry, Verdict, VerdictLabel, FluxKind, Exposure, FlowEvidence };

export type Role = 'read' | 'write' | 'admin';

export interface WhoAmI {
  name: string;
  role: Role;
}

export interface Overview {
  uptime_seconds: number;
  flagged_domains: number;
  tracked_domains: number;
  observations: number;
  networks: number;
  customers: number;
  health: { status: 'ok' | 'unhealthy'; reasons: string[] };
}

// Restates store/store.ts StatsPoint: browser code may import type-only from src/model alone (test/layers.test.ts).
export interface StatsPoint {
  ts: number;
  queries: number;
  blocked: number;
  logged: number;
  flagged: number;
}

export interface Stats {
  step: number;
  points: StatsPoint[];
}

export interface FlaggedItem {
  domain: string;
  registered_domain: string;
  verdict: VerdictLabel;
  flux: FluxKind | null;
  score: number;
  reasons: string[];
  first_seen: string;
  last_seen: string;
  network: string | null;
  zone?: string | null;
  rule: QueryRule;
}

export interface Flagged {
  total: number;
  offset: number;
  limit: number;
  items: FlaggedItem[];
}

// Restates store/store.ts PdnsTuple: browser code may import type-only from src/model alone (test/layers.test.ts).
export interface PdnsTuple {
  name: string;
  type: string;
  data: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  ttl: number | null;
}

export interface DomainInfo {
  name: string;
  blocked: boolean;
  blocked_by: string | null;
  allowlisted: boolean;
  denylisted: ListEntry | null;
  verdict: Verdict | null;
  history: { ts: number; verdict: VerdictLabel; flux: FluxKind | null; score: number }[];
  passive_dns: PdnsTuple[];
}

// Restates detect/networks.ts FluxNetworkSummary: browser code may import type-only from src/model alone (test/layers.test.ts).
export interface NetworkSummary {
  id: string;
  domains: number;
  sample_domains: string[];
  addresses: number;
  asns: number;
  countries: number;
  first_seen: string;
  last_seen: string;
}

export interface NetworkGraph {
  id: string;
  domains: string[];
  addresses: { address: string; asn: number | null; country: string | null }[];
  edges: { domain: string; address: string }[];
}

export interface QueryLogPage {
  items: QueryLogEntry[];
  next: string | null;
}

export interface ExposurePage {
  items: Exposure[];
  next: string | null;
}

export interface Lists {
  items: ListEntry[];
  static: string[];
}

export interface Customer {
  id: string;
  name: string;
  contact: string;
  networks: string[];
}

export interface CustomerDetail {
  customer: Customer;
  totals: { queries: number; blocked: number; logged: number };
  points: StatsPoint[];
  top_blocked: { name: string; domain: string | null; count: number; last: number }[];
}
