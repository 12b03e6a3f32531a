/**
 * What Zeek's dns.log says about records, shared by the TSV and JSON readers.
 * Zeek logs each answer as one string, without its type or owner name, so
 * the type is inferred: an address is A/AAAA; a name is a CNAME in the chain,
 * or of the asked type when that type's data is a name (NS, PTR, MX, ...);
 * `TXT <len> <text>` is TXT; other text is data of the asked type.
 */
import type { ResourceRecord } from '../../model/observation.js';
import { parseIPv4 } from '../../model/names.js';
import { canonicalIPv6, plausibleName } from '../records.js';
import { rcodeName, typeNameOf } from '../values.js';

/** Asked types whose answers Zeek logs as a name: the answer keeps that type. MX and SRV are their target, SOA its mname. */
const NAME_ANSWER_TYPES: ReadonlySet<string> = new Set(['NS', 'PTR', 'MX', 'SOA', 'SRV', 'CNAME', 'DNAME']);
/** Asked types whose answers are all addresses or names: other text in their answers is garbage. */
const ADDRESS_TYPES: ReadonlySet<string> = new Set(['A', 'AAAA', 'ANY']);

/** The A or AAAA record for `data` when it is an address, else null. */
function addressRecord(owner: string, data: string, ttl: number | null): ResourceRecord | null {
  if (parseIPv4(data) >= 0) return { name: owner, type: 'A', data, ttl };
  if (data.indexOf(':') !== -1) {
    const v6 = canonicalIPv6(data);
    if (v6 !== null) return { name: owner, type: 'AAAA', data: v6, ttl };
  }
  return null;
}

/** What a name in the answers to a `qtype` query is: a record of that type when its data is a name, else a CNAME (a link of the chain). */
export function nameAnswerType(qtype: string): string {
  return NAME_ANSWER_TYPES.has(qtype) ? qtype : 'CNAME';
}

/**
 * One answer. The owner is the query name (Zeek does not log owners).
 * Null when it cannot be one: a non-name answer to an address or name query.
 */
export function zeekAnswer(owner: string, qtype: string, data: string, ttl: number | null): ResourceRecord | null {
  const address = addressRecord(owner, data, ttl);
  if (address !== null) return address;
  if (data.startsWith('TXT ')) return { name: owner, type: 'TXT', data, ttl };
  const target = plausibleName(data);
  if (target !== null) return { name: owner, type: nameAnswerType(qtype), data: target, ttl };
  if (NAME_ANSWER_TYPES.has(qtype) || ADDRESS_TYPES.has(qtype)) return null;
  return { name: owner, type: qtype, data, ttl };
}

/** An `auth` entry (auth-addl.zeek): name servers of the authority section, rarely an address. */
export function zeekAuthority(owner: string, data: string): ResourceRecord | null {
  const address = addressRecord(owner, data, null);
  if (address !== null) return address;
  const target = plausibleName(data);
  return target === null ? null : { name: owner, type: 'NS', data: target, ttl: null };
}

/** An `addl` entry: only addresses (glue) are kept, owned by the query name since Zeek drops the owner. */
export function zeekAdditional(owner: string, data: string): ResourceRecord | null {
  return addressRecord(owner, data, null);
}

/** Zeek's qtype_name as a mnemonic: '*' is ANY, 'query-65534' is TYPE65534. */
export function zeekQueryType(name: string): string {
  const c = name.charCodeAt(0);
  if (c === 42 /* * */ && name.length === 1) return 'ANY';
  if (c === 113 /* q */ && name.startsWith('query-')) {
    const code = Number(name.slice(6));
    return typeNameOf(code) ?? name;
  }
  return name;
}

/** Zeek's rcode_name as a mnemonic: 'unknown-23' is RCODE23. */
export function zeekRcode(name: string): string {
  if (name.startsWith('unknown-')) return rcodeName(Number(name.slice(8))) ?? name;
  return name;
}
