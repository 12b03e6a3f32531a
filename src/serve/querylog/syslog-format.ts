/**
 * One query-log entry as an RFC 5424 syslog message:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [fluxhound@32473 k="v" ...] MSG
 *
 * PRI = facility × 8 + severity: a blocked query or an exposure is warning
 * (4), a flagged name answered under policy log notice (5), any other query
 * info (6). MSGID says which: 'block', 'flagged', 'query', 'exposed'. The
 * fields go in one SD-ELEMENT whose SD-ID has the enterprise-number form
 * NAME@PEN (RFC 5424 §7.2.2); 32473 is the example Private Enterprise Number
 * IANA reserves for documentation (RFC 5612): an operator with a PEN of
 * their own can filter on the name alone. PARAM-VALUEs escape '"', '\' and
 * ']' with a backslash (§6.3.3); control characters, which no field should
 * hold but a list comment might, are written as \xHH so every message
 * stays one line. MSG is a short line of plain text, prefixed with the
 * UTF-8 BOM when it holds anything beyond ASCII (§6.4).
 */
import { isBlockAction, type QueryLogEntry } from '../../model/query-log.js';
import { isoTime } from '../../model/verdict.js';
import { pairsOf, type FieldSet } from './fields.js';

export const SD_ID = 'fluxhound@32473';

export const SEVERITY = { warning: 4, notice: 5, info: 6 } as const;

export interface SyslogHeader {
  /** 0..23 (16 = local0). */
  facility: number;
  hostname: string;
  appName: string;
  procId: string;
  fields: FieldSet;
}

export function severityOf(e: QueryLogEntry): number {
  if (e.action === 'pass') return SEVERITY.info;
  if (e.action === 'log') return SEVERITY.notice;
  return SEVERITY.warning;
}

export function msgIdOf(e: QueryLogEntry): string {
  if (e.action === 'exposed') return 'exposed';
  if (e.action === 'pass') return 'query';
  if (e.action === 'log') return 'flagged';
  return 'block';
}

/** A header field (HOSTNAME, APP-NAME, PROCID): PRINTUSASCII (33..126) only, at most `max` characters; '-' (NILVALUE) when nothing is left. */
export function headerField(text: string, max: number): string {
  let out = '';
  for (let i = 0; i < text.length && out.length < max; i++) {
    const c = text.charCodeAt(i);
    if (c >= 33 && c <= 126) out += text[i];
  }
  return out === '' ? '-' : out;
}

function hex(c: number): string {
  return `\\x${c.toString(16).padStart(2, '0')}`;
}

/** A PARAM-VALUE: '"', '\' and ']' escaped with '\' (RFC 5424 §6.3.3); control characters as \xHH. */
export function escapeParamValue(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const c = text.charCodeAt(i);
    if (ch === '"' || ch === '\\' || ch === ']') out += `\\${ch}`;
    else if (c < 32 || c === 127) out += hex(c);
    else out += ch;
  }
  return out;
}

/** MSG text on one line: control characters as \xHH (the backslash itself kept). */
function oneLine(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c < 32 || c === 127 ? hex(c) : text[i];
  }
  return out;
}

/** The SD-ELEMENT with every field of the entry; an array value repeats its PARAM-NAME (RFC 5424 allows it). */
export function structuredData(e: QueryLogEntry, fields: FieldSet): string {
  let sd = `[${SD_ID}`;
  for (const [name, value] of pairsOf(e, fields)) {
    if (Array.isArray(value)) for (const v of value as readonly string[]) sd += ` ${name}="${escapeParamValue(v)}"`;
    else sd += ` ${name}="${escapeParamValue(String(value))}"`;
  }
  return `${sd}]`;
}

/** MSG: what happened in a few words, for a person reading the log. */
export function messageText(e: QueryLogEntry): string {
  const who = e.customer === null ? e.client : `${e.client} (customer ${e.customer})`;
  let text: string;
  if (e.action === 'exposed') text = `${who} got the real answer for ${e.name} ${e.qtype} before it was flagged`;
  else if (isBlockAction(e.action)) text = `${e.action} ${e.name} ${e.qtype} for ${who}`;
  else text = `${e.action} ${e.name} ${e.qtype} for ${who}: ${e.rcode ?? 'no answer'}`;
  if (e.domain !== null) text += `: ${e.rule === 'denylist' ? 'deny list' : e.rule === 'intel' ? 'intel listing' : (e.verdict ?? 'flagged')} ${e.domain}${e.score === null ? '' : ` score ${e.score}`}${e.reason === null ? '' : `, ${e.reason}`}`;
  return oneLine(text);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
}

/** The whole message (no framing, no trailing newline). */
export function syslogMessage(e: QueryLogEntry, h: SyslogHeader): string {
  const pri = h.facility * 8 + severityOf(e);
  const msg = messageText(e);
  return `<${pri}>1 ${isoTime(e.ts)} ${h.hostname} ${h.appName} ${h.procId} ${msgIdOf(e)} ${structuredData(e, h.fields)} ${isAscii(msg) ? '' : '\ufeff'}${msg}`;
}

/** RFC 6587 §3.4.1 octet counting: "LENGTH SP MESSAGE", the length in bytes. */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
