/**
 * The 'rpz' feed kind: a Response Policy Zone in master-file form (RFC 1035
 * §5 with the RPZ draft's triggers). QNAME triggers (`bad.example CNAME .`,
 * `*.bad.example CNAME .`, local data) give domains; rpz-ip triggers
 * (`32.1.2.0.192.rpz-ip`, `48.zz.db8.2001.rpz-ip`) give addresses and
 * networks. `CNAME rpz-passthru.` is an exception (allow), never a trigger;
 * rpz-nsdname, rpz-nsip and rpz-client-ip are skipped and counted. $INCLUDE is
 * never followed: a feed names no file on this host.
 */
import type { ParsedFeed } from './entry.js';
import { DEFAULT_PARSE_LIMITS, FeedCollector, forEachLine, hasControl, type ParseLimits } from './feed-text.js';
import { domainValue, network, type IntelValue } from './values.js';

const CLASSES = new Set(['in', 'ch', 'hs', 'any']);
/** Lines one parenthesised record may span (an SOA takes 7). */
const MAX_RECORD_LINES = 64;

const POLICIES: Record<string, string> = { '.': 'nxdomain', '*.': 'nodata', 'rpz-drop.': 'drop', 'rpz-tcp-only.': 'tcp-only' };

export function parseRpz(text: string, source: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParsedFeed {
  const feed = new FeedCollector(source, limits);
  let origin = '';
  let owner = '';
  let pending: string[] = [];
  let pendingLine = 0;
  let depth = 0;
  // An owner's records (local data A, AAAA, TXT...) stand together: one entry for them. A trigger
  // repeated further on is counted as a duplicate by the index; no set of every trigger is kept.
  let lastTrigger: string | null = null;
  // One note string per policy, not one per entry: a million `rpz: nxdomain` would each hold their own copy.
  const notes = new Map<string, string>();
  const noteOf = (policy: string): string => {
    let note = notes.get(policy);
    if (note === undefined) {
      note = `rpz: ${policy.slice(0, 300)}`;
      if (notes.size < 1000) notes.set(policy, note);
    }
    return note;
  };

  const record = (tokens: string[], continued: boolean, lineNo: number): boolean => {
    const ref = `${source}:${lineNo}`;
    const first = tokens[0]!;
    if (!continued && first.startsWith('$')) {
      const directive = first.toUpperCase();
      if (directive === '$ORIGIN' && tokens.length === 2) origin = absolute(tokens[1]!.toLowerCase(), origin);
      else if (directive === '$TTL' && tokens.length === 2) return true;
      else feed.skip(ref, directive === '$INCLUDE' ? '$INCLUDE is not followed' : `bad directive ${first.slice(0, 32)}`);
      return true;
    }
    let at = 0;
    if (!continued) owner = tokens[at++]!.toLowerCase();
    // [TTL] [class] in either order, then the type.
    for (let k = 0; k < 2 && at < tokens.length; k++) {
      const t = tokens[at]!.toLowerCase();
      if (isTtl(t) || CLASSES.has(t)) at++;
    }
    const type = tokens[at]?.toUpperCase();
    if (type === undefined) {
      feed.skip(ref, 'record without a type');
      return true;
    }
    // Only the first data field decides the policy (CNAME target); the rest is local data.
    const target = tokens[at + 1]?.toLowerCase();
    const trigger = relativeName(owner, origin);
    if (trigger === null) {
      feed.skip(ref, 'owner name outside the zone');
      return true;
    }
    // The zone's own records (SOA, NS at the apex) are no policy.
    if (trigger === '') return true;
    if (type === 'CNAME' && target === 'rpz-passthru.') return true;
    if (trigger === lastTrigger) return true;
    lastTrigger = trigger;
    const policy = type === 'CNAME' ? (POLICIES[target ?? ''] ?? `redirect to ${target ?? ''}`) : `local data ${type}`;
    return feed.add(triggerValue(trigger), ref, noteOf(policy));
  };

  forEachLine(text, (raw, lineNo) => {
    if (raw.length > limits.maxLine) {
      feed.skip(`${source}:${lineNo}`, `line longer than ${limits.maxLine} characters`);
      return true;
    }
    if (hasControl(raw)) {
      feed.skip(`${source}:${lineNo}`, 'control character (NUL or binary) in the line');
      return true;
    }
    const scanned = scanLine(raw);
    if (scanned === null) {
      feed.skip(`${source}:${lineNo}`, 'unclosed quoted string');
      return true;
    }
    if (depth === 0) {
      pending = [];
      pendingLine = lineNo;
      // A record whose line starts with white space belongs to the previous owner.
      if (scanned.tokens.length > 0 && (raw.charCodeAt(0) === 32 || raw.charCodeAt(0) === 9)) pending.push('\u0000continued');
    }
    pending.push(...scanned.tokens);
    depth += scanned.depth;
    if (depth < 0 || lineNo - pendingLine >= MAX_RECORD_LINES) {
      feed.skip(`${source}:${pendingLine}`, depth < 0 ? 'unbalanced parentheses' : 'parenthesised record too long');
      depth = 0;
      return true;
    }
    if (depth > 0) return true;
    const continued = pending[0] === '\u0000continued';
    const tokens = continued ? pending.slice(1) : pending;
    if (tokens.length === 0) return true;
    if (continued && owner === '') {
      feed.skip(`${source}:${pendingLine}`, 'record without an owner name');
      return true;
    }
    return record(tokens, continued, pendingLine);
  });
  if (depth > 0) feed.skip(`${source}:${pendingLine}`, 'parentheses never closed');
  return feed.result();
}

/** The trigger an owner name stands for inside the zone: '' for the apex, null outside it. */
function relativeName(owner: string, origin: string): string | null {
  if (owner === '@') return '';
  if (!owner.endsWith('.') || owner.endsWith('\\.')) return owner;
  if (owner === origin) return '';
  if (origin !== '' && owner.endsWith(`.${origin}`)) return owner.slice(0, owner.length - origin.length - 1);
  return origin === '' ? owner.slice(0, -1) : null;
}

function absolute(name: string, origin: string): string {
  if (name === '@') return origin;
  if (name.endsWith('.')) return name;
  return origin === '' ? `${name}.` : `${name}.${origin}`;
}

function triggerValue(trigger: string): IntelValue {
  const dot = trigger.lastIndexOf('.');
  const suffix = dot === -1 ? '' : trigger.slice(dot + 1);
  if (suffix === 'rpz-ip') return ipTrigger(trigger.slice(0, dot));
  if (suffix === 'rpz-nsdname' || suffix === 'rpz-nsip' || suffix === 'rpz-client-ip') return { reason: `unsupported trigger (${suffix})` };
  return domainValue(trigger);
}

/** 'bits.reversed.address' to a network: 32.1.2.0.192 is 192.0.2.1/32; zz stands for :: in IPv6. */
function ipTrigger(labels: string): IntelValue {
  const parts = labels.split('.');
  if (parts.length < 2 || parts.length > 9) return { reason: 'bad rpz-ip trigger' };
  const bits = parts[0]!;
  const address = parts.slice(1).reverse();
  if (address.length === 4 && address.every((p) => /^[0-9]{1,3}$/.test(p))) return network(`${address.join('.')}/${bits}`);
  if (!address.every((p) => p === 'zz' || /^[0-9a-f]{1,4}$/.test(p))) return { reason: 'bad rpz-ip trigger' };
  const text = address.map((p) => (p === 'zz' ? '' : p)).join(':');
  const v6 = text.startsWith(':') ? `:${text}` : text.endsWith(':') ? `${text}:` : text;
  const value = network(`${v6}/${bits}`);
  return 'reason' in value ? { reason: 'bad rpz-ip trigger' } : value;
}

/** Tokens of a master-file line: comments dropped, quotes kept together, parentheses counted. */
function scanLine(line: string): { tokens: string[]; depth: number } | null {
  // Most lines of a large zone are `owner CNAME .`: split those on blanks with slices, not a character at a time.
  if (plainLine(line)) return { tokens: blankFields(line), depth: 0 };
  const tokens: string[] = [];
  let depth = 0;
  let token = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      token += c + line[++i];
      continue;
    }
    if (quoted) {
      token += c;
      if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') {
      quoted = true;
      token += c;
      continue;
    }
    if (c === ';') break;
    if (c === '(' || c === ')' || c === ' ' || c === '\t') {
      if (token !== '') tokens.push(token);
      token = '';
      if (c === '(') depth++;
      else if (c === ')') depth--;
      continue;
    }
    token += c;
  }
  if (quoted) return null;
  if (token !== '') tokens.push(token);
  return { tokens, depth };
}

/** No quote, escape, comment or parenthesis: fields are separated by blanks alone. */
function plainLine(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 34 || c === 92 || c === 59 || c === 40 || c === 41) return false;
  }
  return true;
}

function blankFields(line: string): string[] {
  const fields: string[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const c = i === line.length ? 32 : line.charCodeAt(i);
    if (c === 32 || c === 9) {
      if (start !== -1) fields.push(line.slice(start, i));
      start = -1;
    } else if (start === -1) start = i;
  }
  return fields;
}

/** A TTL field: a digit, then digits and the unit letters s m h d w (`3600`, `1h30m`). */
function isTtl(t: string): boolean {
  const first = t.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return false;
  for (let i = 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 115 || c === 109 || c === 104 || c === 100 || c === 119)) return false;
  }
  return true;
}
