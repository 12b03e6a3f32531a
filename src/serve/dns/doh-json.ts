/**
 * The JSON form of DNS over HTTPS that Google Public DNS (/resolve) and
 * Cloudflare (/dns-query with Accept: application/dns-json) offer, with the
 * shape they share: GET ?name=&type=[&cd=][&do=] in, and out
 * {Status, TC, RD, RA, AD, CD, Question[{name,type}], Answer[{name,type,TTL,data}]}
 * (Authority and Additional when the answer has them; no IETF standard
 * exists). The parameters become an ordinary wire query that the forwarder's
 * handle() answers like any other, so the JSON form gets the same cache,
 * policy, blocks and query log; the wire answer is then turned into JSON.
 *
 * Every name in the JSON is read by the one name reader of src/dns (the one
 * text rule: lower case, \DDD for anything unprintable or special) with the
 * trailing dot the public resolvers print; TXT strings are quoted with the
 * same \DDD escapes; types without a presentation form here are RFC 3597
 * `\# LENGTH HEX`.
 */
import { FLAG_AD, FLAG_CD, FLAG_RA, FLAG_RD, FLAG_TC, TYPE } from '../../dns/constants.js';
import { typeCode } from '../../dns/mnemonics.js';
import { lastName, readName, resetNameCache } from '../../dns/name-reader.js';
import { nameText, nameToWire } from '../../dns/name-writer.js';
import { ipv4Text, ipv6Text } from '../../sources/dns-wire/addresses.js';

export const DNS_JSON = 'application/dns-json';

/** What the JSON form answers with (the public resolvers' field names). */
export interface DnsJson {
  Status: number;
  TC: boolean;
  RD: boolean;
  RA: boolean;
  AD: boolean;
  CD: boolean;
  Question: { name: string; type: number }[];
  Answer?: DnsJsonRecord[];
  Authority?: DnsJsonRecord[];
  Additional?: DnsJsonRecord[];
}

export interface DnsJsonRecord {
  name: string;
  type: number;
  TTL: number;
  data: string;
}

/** A flag parameter as Cloudflare documents it: absent or empty, 0, false, 1, true; anything else is refused. */
function flag(params: URLSearchParams, key: string): boolean | string {
  const value = params.get(key);
  if (value === null || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  return `${key} must be empty, 0, false, 1 or true`;
}

/**
 * The wire query (ID 0, RD set) the parameters stand for, or the reason (a
 * 400) they do not: `name` a name text (any RFC 1035 spelling; 1–253 octets),
 * `type` a mnemonic (any case) or a number 1–65535, default A; `cd` sets the
 * CD bit; `do` adds an OPT record with the DO bit.
 */
export function jsonQuery(params: URLSearchParams): Buffer | string {
  const name = params.get('name');
  if (name === null || name === '') return 'name= is required';
  const text = name === '.' ? '.' : nameText(name)?.text;
  if (text === undefined) return 'name= is not a domain name';
  const typeParam = params.get('type') ?? 'A';
  const type = /^\d{1,5}$/.test(typeParam) ? Number(typeParam) : typeCode(typeParam.toUpperCase());
  if (type === null || type < 1 || type > 65535) return 'type= must be a type mnemonic or 1-65535';
  const cd = flag(params, 'cd');
  if (typeof cd === 'string') return cd;
  const dnssec = flag(params, 'do');
  if (typeof dnssec === 'string') return dnssec;
  const wire = nameToWire(text === '.' ? '.' : `${text}.`);
  const opt = dnssec ? 11 : 0;
  const query = Buffer.alloc(12 + wire.length + 4 + opt);
  query.writeUInt16BE(FLAG_RD | (cd ? FLAG_CD : 0), 2);
  query.writeUInt16BE(1, 4);
  query.set(wire, 12);
  let p = 12 + wire.length;
  query.writeUInt16BE(type, p);
  query.writeUInt16BE(1, p + 2);
  p += 4;
  if (dnssec) {
    query.writeUInt16BE(1, 10);
    // OPT: root owner, type 41, UDP size 4096, extended rcode 0, version 0, DO bit, no options.
    query[p] = 0;
    query.writeUInt16BE(TYPE.OPT, p + 1);
    query.writeUInt16BE(4096, p + 3);
    query.writeUInt16BE(0x8000, p + 7);
  }
  return query;
}

/** The JSON of a wire answer; null when it cannot be read (the forwarder only sends what it read or made). */
export function answerJson(answer: Buffer): DnsJson | null {
  if (answer.length < 12) return null;
  const flags = answer.readUInt16BE(2);
  const json: DnsJson = {
    Status: flags & 15,
    TC: (flags & FLAG_TC) !== 0,
    RD: (flags & FLAG_RD) !== 0,
    RA: (flags & FLAG_RA) !== 0,
    AD: (flags & FLAG_AD) !== 0,
    CD: (flags & FLAG_CD) !== 0,
    Question: [],
  };
  resetNameCache(answer, 0);
  let p = 12;
  for (let i = answer.readUInt16BE(4); i > 0; i--) {
    const name = readName(answer, p, 0, answer.length);
    p = lastName.end;
    if (name === null || p + 4 > answer.length) return null;
    json.Question.push({ name: absolute(name), type: answer.readUInt16BE(p) });
    p += 4;
  }
  const sections = ['Answer', 'Authority', 'Additional'] as const;
  for (let s = 0; s < 3; s++) {
    const records: DnsJsonRecord[] = [];
    for (let i = answer.readUInt16BE(6 + 2 * s); i > 0; i--) {
      const owner = readName(answer, p, 0, answer.length);
      p = lastName.end;
      if (owner === null || p + 10 > answer.length) return null;
      const type = answer.readUInt16BE(p);
      const ttl = answer.readUInt32BE(p + 4);
      const rdStart = p + 10;
      const rdEnd = rdStart + answer.readUInt16BE(p + 8);
      if (rdEnd > answer.length) return null;
      p = rdEnd;
      // EDNS is transport, not data: the public resolvers leave OPT out too.
      if (type === TYPE.OPT) continue;
      records.push({ name: absolute(owner), type, TTL: ttl > 0x7fffffff ? 0 : ttl, data: recordText(answer, type, rdStart, rdEnd) });
    }
    if (records.length > 0) json[sections[s]!] = records;
  }
  return json;
}

/** A name text as the public resolvers print it: with the trailing dot. */
function absolute(name: string): string {
  return name === '.' ? '.' : `${name}.`;
}

/** The presentation form of one record's data; RFC 3597 `\# LENGTH HEX` when this file has none for its type or the data does not fit it. */
function recordText(bytes: Buffer, type: number, rdStart: number, rdEnd: number): string {
  const length = rdEnd - rdStart;
  const text = knownText(bytes, type, rdStart, rdEnd, length);
  return text ?? `\\# ${length}${length > 0 ? ` ${bytes.toString('hex', rdStart, rdEnd)}` : ''}`;
}

function knownText(bytes: Buffer, type: number, rdStart: number, rdEnd: number, length: number): string | null {
  switch (type) {
    case TYPE.A:
      return length === 4 ? ipv4Text(bytes, rdStart) : null;
    case TYPE.AAAA:
      return length === 16 ? ipv6Text(bytes, rdStart) : null;
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.PTR:
    case TYPE.DNAME:
      return names(bytes, rdStart, rdEnd, 1);
    case TYPE.MX:
      return length < 3 ? null : prefixed(`${bytes.readUInt16BE(rdStart)} `, names(bytes, rdStart + 2, rdEnd, 1));
    case TYPE.SRV:
      return length < 7 ? null : prefixed(`${bytes.readUInt16BE(rdStart)} ${bytes.readUInt16BE(rdStart + 2)} ${bytes.readUInt16BE(rdStart + 4)} `, names(bytes, rdStart + 6, rdEnd, 1));
    case TYPE.SOA:
      return soaText(bytes, rdStart, rdEnd);
    case TYPE.TXT:
      return txtText(bytes, rdStart, rdEnd);
    default:
      return null;
  }
}

function prefixed(prefix: string, rest: string | null): string | null {
  return rest === null ? null : prefix + rest;
}

/** `count` names filling [from, rdEnd) exactly, joined by spaces; null otherwise. */
function names(bytes: Buffer, from: number, rdEnd: number, count: number): string | null {
  let text = '';
  let p = from;
  for (let i = 0; i < count; i++) {
    const name = readName(bytes, p, 0, rdEnd);
    if (name === null) return null;
    p = lastName.end;
    text += i === 0 ? absolute(name) : ` ${absolute(name)}`;
  }
  return p === rdEnd ? text : null;
}

function soaText(bytes: Buffer, rdStart: number, rdEnd: number): string | null {
  const two = names(bytes, rdStart, rdEnd - 20, 2);
  if (two === null) return null;
  let text = two;
  for (let p = rdEnd - 20; p < rdEnd; p += 4) text += ` ${bytes.readUInt32BE(p)}`;
  return text;
}

/** Each character-string quoted, a quote, a backslash and every byte outside printable ASCII as \DDD. */
function txtText(bytes: Buffer, rdStart: number, rdEnd: number): string | null {
  const parts: string[] = [];
  let p = rdStart;
  while (p < rdEnd) {
    const end = p + 1 + bytes[p]!;
    if (end > rdEnd) return null;
    let text = '"';
    for (let i = p + 1; i < end; i++) {
      const c = bytes[i]!;
      text += c < 32 || c >= 127 || c === 92 || c === 34 ? `\\${String(c).padStart(3, '0')}` : String.fromCharCode(c);
    }
    parts.push(`${text}"`);
    p = end;
  }
  return parts.join(' ');
}
