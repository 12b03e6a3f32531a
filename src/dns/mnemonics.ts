/**
 * Type and response-code mnemonics for wire values, precomputed once so the
 * hot path is an array read. Names agree with values.ts (the JSON sources)
 * for every type that table knows.
 */

const KNOWN_TYPES: readonly (readonly [number, string])[] = [
  [1, 'A'], [2, 'NS'], [3, 'MD'], [4, 'MF'], [5, 'CNAME'], [6, 'SOA'], [7, 'MB'], [8, 'MG'], [9, 'MR'],
  [10, 'NULL'], [11, 'WKS'], [12, 'PTR'], [13, 'HINFO'], [14, 'MINFO'], [15, 'MX'], [16, 'TXT'], [17, 'RP'],
  [18, 'AFSDB'], [19, 'X25'], [20, 'ISDN'], [21, 'RT'], [22, 'NSAP'], [23, 'NSAP-PTR'], [24, 'SIG'], [25, 'KEY'],
  [26, 'PX'], [27, 'GPOS'], [28, 'AAAA'], [29, 'LOC'], [30, 'NXT'], [31, 'EID'], [32, 'NIMLOC'], [33, 'SRV'],
  [34, 'ATMA'], [35, 'NAPTR'], [36, 'KX'], [37, 'CERT'], [38, 'A6'], [39, 'DNAME'], [40, 'SINK'], [41, 'OPT'],
  [42, 'APL'], [43, 'DS'], [44, 'SSHFP'], [45, 'IPSECKEY'], [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'],
  [49, 'DHCID'], [50, 'NSEC3'], [51, 'NSEC3PARAM'], [52, 'TLSA'], [53, 'SMIMEA'], [55, 'HIP'], [59, 'CDS'],
  [60, 'CDNSKEY'], [61, 'OPENPGPKEY'], [62, 'CSYNC'], [63, 'ZONEMD'], [64, 'SVCB'], [65, 'HTTPS'], [99, 'SPF'],
  [104, 'NID'], [105, 'L32'], [106, 'L64'], [107, 'LP'], [108, 'EUI48'], [109, 'EUI64'], [249, 'TKEY'],
  [250, 'TSIG'], [251, 'IXFR'], [252, 'AXFR'], [253, 'MAILB'], [254, 'MAILA'], [255, 'ANY'], [256, 'URI'],
  [257, 'CAA'], [32768, 'TA'], [32769, 'DLV'],
];

const TYPE_NAMES: (string | undefined)[] = new Array<string | undefined>(65536);
for (const [code, name] of KNOWN_TYPES) TYPE_NAMES[code] = name;
const TYPE_CODES = new Map<string, number>(KNOWN_TYPES.map(([code, name]) => [name, code]));

/** 'A', 'AAAA', 'NS', ...; RFC 3597 'TYPE65534' for the others (made once, then kept). */
export function typeName(type: number): string {
  const code = type & 0xffff;
  let name = TYPE_NAMES[code];
  if (name === undefined) {
    name = `TYPE${code}`;
    TYPE_NAMES[code] = name;
  }
  return name;
}

/** The inverse of typeName: 'AAAA' → 28, 'TYPE65534' → 65534 (upper case); null for anything else. */
export function typeCode(name: string): number | null {
  const known = TYPE_CODES.get(name);
  if (known !== undefined) return known;
  return numberAfter(name, 'TYPE', 65535);
}

/** The inverse of rcodeName: 'NXDOMAIN' → 3, 'RCODE23' → 23; null for anything else. */
export function rcodeCode(name: string): number | null {
  const known = RCODE_NAMES.indexOf(name);
  return known >= 0 && known < 11 ? known : numberAfter(name, 'RCODE', 4095);
}

/** The decimal after `prefix` (no sign, no leading zero) when it is at most `max`. */
function numberAfter(name: string, prefix: string, max: number): number | null {
  if (!name.startsWith(prefix)) return null;
  const digits = name.slice(prefix.length);
  if (!/^(0|[1-9][0-9]{0,4})$/.test(digits)) return null;
  const n = Number(digits);
  return n <= max ? n : null;
}

const RCODE_NAMES: string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED',
  'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE',
];
for (let code = RCODE_NAMES.length; code < 4096; code++) RCODE_NAMES.push(`RCODE${code}`);

/** 'NOERROR', 'NXDOMAIN', ...; 'RCODE23' for codes without a mnemonic (0..4095). */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode & 0xfff]!;
}
