/**
 * Record data in the model's presentation forms (README.md): addresses as
 * text, names, SOA and TXT; other types keep empty data. Nothing is read
 * outside [rdStart, rdEnd) except what a compression pointer reaches back to.
 */
import { ipv4Text, ipv6Text } from './addresses.js';
import { TYPE } from '../../dns/constants.js';
import { lastName, readName } from '../../dns/name-reader.js';

const TYPE_A = TYPE.A;
const TYPE_NS = TYPE.NS;
const TYPE_CNAME = TYPE.CNAME;
const TYPE_SOA = TYPE.SOA;
const TYPE_PTR = TYPE.PTR;
const TYPE_MX = TYPE.MX;
const TYPE_TXT = TYPE.TXT;
const TYPE_AAAA = TYPE.AAAA;
const TYPE_SRV = TYPE.SRV;
const TYPE_DNAME = TYPE.DNAME;
export const TYPE_OPT = TYPE.OPT;

/** The record data in presentation form, or null when it does not fit its type. */
export function recordData(type: number, bytes: Uint8Array, rdStart: number, rdEnd: number, start: number): string | null {
  const length = rdEnd - rdStart;
  switch (type) {
    case TYPE_A:
      return length === 4 ? ipv4Text(bytes, rdStart) : null;
    case TYPE_AAAA:
      return length === 16 ? ipv6Text(bytes, rdStart) : null;
    case TYPE_NS:
    case TYPE_CNAME:
    case TYPE_PTR:
    case TYPE_DNAME:
      return nameFilling(bytes, rdStart, rdEnd, start);
    case TYPE_MX:
      // Only the exchange, as every source gives it.
      return length < 3 ? null : nameFilling(bytes, rdStart + 2, rdEnd, start);
    case TYPE_SRV:
      return length < 7 ? null : nameFilling(bytes, rdStart + 6, rdEnd, start);
    case TYPE_SOA:
      return soaData(bytes, rdStart, rdEnd, start);
    case TYPE_TXT:
      return txtData(bytes, rdStart, rdEnd);
    default:
      return '';
  }
}

/** A name that fills [from, rdEnd) exactly; null otherwise. */
function nameFilling(bytes: Uint8Array, from: number, rdEnd: number, start: number): string | null {
  const name = readName(bytes, from, start, rdEnd);
  return name !== null && lastName.end === rdEnd ? name : null;
}

/** 'mname rname serial refresh retry expire minimum', as Suricata writes it. */
function soaData(bytes: Uint8Array, rdStart: number, rdEnd: number, start: number): string | null {
  const mname = readName(bytes, rdStart, start, rdEnd);
  if (mname === null) return null;
  const rname = readName(bytes, lastName.end, start, rdEnd);
  let p = lastName.end;
  if (rname === null || p + 20 !== rdEnd) return null;
  let text = `${mname} ${rname}`;
  for (let k = 0; k < 5; k++, p += 4) {
    text += ` ${((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0}`;
  }
  return text;
}

/** The character-strings joined by spaces, each byte that is a control, space, past ASCII, backslash or quote as \DDD; null when they do not fill the data. */
function txtData(bytes: Uint8Array, rdStart: number, rdEnd: number): string | null {
  let text = '';
  let p = rdStart;
  while (p < rdEnd) {
    const stringEnd = p + 1 + bytes[p]!;
    if (stringEnd > rdEnd) return null;
    if (p > rdStart) text += ' ';
    for (let i = p + 1; i < stringEnd; i++) {
      const c = bytes[i]!;
      text += c <= 32 || c >= 127 || c === 92 || c === 34 ? `\\${String(c).padStart(3, '0')}` : String.fromCharCode(c);
    }
    p = stringEnd;
  }
  return text;
}
