/**
 * The records of the operator console: one query-log entry per recorded
 * query, the operator's own allow and deny entries, and the audit trail of
 * every change to them. Times are seconds since the epoch (fractional).
 */
import type { Verdict } from './verdict.js';

/**
 * What the forwarder did with a query: the policy action that answered a
 * flagged name (nxdomain, nodata, drop, sinkhole), `log` for a flagged name
 * answered normally under policy log, `pass` for any other query (recorded
 * only when serve.querylog.sample says so), and `exposed`: not a query but
 * the finding that this client looked the name up (and got its real answer)
 * shortly before it was flagged: the customer should check that device.
 */
export type QueryAction = 'nxdomain' | 'nodata' | 'drop' | 'sinkhole' | 'log' | 'pass' | 'exposed';

export const QUERY_ACTIONS: readonly QueryAction[] = ['nxdomain', 'nodata', 'drop', 'sinkhole', 'log', 'pass', 'exposed'];

/** Whether the client did not get the real answer. */
export function isBlockAction(action: QueryAction): boolean {
  return action !== 'log' && action !== 'pass' && action !== 'exposed';
}

/** What put a name on the block path: the detector's verdict, the operator's deny list, or a threat-intelligence feed's listing. */
export type QueryRule = 'verdict' | 'denylist' | 'intel';

export const QUERY_RULES: readonly QueryRule[] = ['verdict', 'denylist', 'intel'];

/**
 * The rule behind a flagged verdict and its reason in one line: the
 * operator's deny list (its policy verdict carries `listed`) with the
 * entry's comment; a feed's listing (detect/intel-verdict) with its one
 * reason, which names the feed and the entry; else the detector with its
 * first (strongest) reason.
 */
export function ruleOf(verdict: Verdict): { rule: QueryRule; reason: string | null } {
  if (verdict.listed !== undefined) return { rule: 'denylist', reason: verdict.listed.comment };
  if (isListingVerdict(verdict)) return { rule: 'intel', reason: verdict.reasons[0] ?? null };
  return { rule: 'verdict', reason: verdict.reasons[0] ?? null };
}

/**
 * detect/intel-verdict's isIntelListing, restated here because model sits
 * below detect (a test keeps the two in step): the name's own listing comes
 * first in Verdict.intel, and a listing verdict carries no contributions.
 */
function isListingVerdict(v: Verdict): boolean {
  return v.intel !== undefined && v.intel.length > 0 && v.intel[0]!.kind === 'domain' && v.contributions.length === 0 && v.listed === undefined;
}

export interface QueryLogEntry {
  /** Seconds since the epoch, millisecond precision. */
  ts: number;
  /** Client address as text ('192.0.2.7', '2001:db8::7'). */
  client: string;
  /** Id of the customer whose network holds the client (config customers); null when none does. */
  customer: string | null;
  /** The question name: lower case, no trailing dot, escaped by the one rule (dns/name-text.ts). */
  name: string;
  /** Query type mnemonic ('A', 'AAAA', 'TYPE65280'). */
  qtype: string;
  action: QueryAction;
  /** RCODE mnemonic of the answer sent ('NOERROR', 'NXDOMAIN', 'SERVFAIL'); null when none was sent (drop, upstream timeout before logging). */
  rcode: string | null;
  /** The flagged domain (or deny entry) whose trigger matched the name; null for pass. */
  domain: string | null;
  /** Label of that domain's verdict ('fast-flux', 'suspicious'); null for pass. */
  verdict: 'fast-flux' | 'suspicious' | null;
  /** Its score (0..100); null for pass. */
  score: number | null;
  /** What put the name on the block path; null for pass. */
  rule: QueryRule | null;
  /** The first (strongest) reason of that verdict, or the deny entry's comment; null for pass. */
  reason: string | null;
}

/** The operator's lists: names never blocked (allow) and names always blocked (deny), each with everything under it. */
export type ListName = 'allow' | 'deny';

export interface ListEntry {
  list: ListName;
  /** Canonical name: lower case, no trailing dot. */
  name: string;
  comment: string;
  /** Who made the entry: the API token's NAME, or the operator of `fluxhound allow` (--by, else $USER). */
  by: string;
  /** When, seconds since the epoch. */
  at: number;
}

/** One change to a list, as the API and the CLI ask for it. */
export interface ListChange {
  op: 'add' | 'remove';
  list: ListName;
  name: string;
  comment: string;
  by: string;
  at: number;
}

/** One line of the audit trail: who changed what, when, and why. */
export interface AuditEntry {
  at: number;
  by: string;
  /** 'allow.add', 'allow.remove', 'deny.add', 'deny.remove', ... */
  action: string;
  /** What was changed (the name). */
  target: string;
  comment: string;
}
