/**
 * The numbers of the DNS wire format (RFC 1035 §3.2 and §4.1.1, RFC 6891,
 * RFC 8945, RFC 1995, RFC 5936) that fluxhound reads or writes: one table
 * for every path, so no two modules can disagree about a value.
 */

/** Record types (RFC 1035 §3.2.2 and later RFCs). */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const CLASS_IN = 1;
/** Class ANY (255): TSIG records carry it (RFC 8945 §4.2). */
export const CLASS_ANY = 255;

export const OPCODE_QUERY = 0;
export const OPCODE_NOTIFY = 4;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, NOTAUTH: 9 } as const;

/** Header flag bits of the second 16-bit word. */
export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
/** Authentic data and checking disabled (RFC 4035 §3.2). */
export const FLAG_AD = 0x0020;
export const FLAG_CD = 0x0010;
/** EDNS option codes. */
export const OPTION_CLIENT_SUBNET = 8;
/** The opcode's four bits in the second header word. */
export const OPCODE_MASK = 0x7800;

/** Octets of a whole name on the wire, root label included (RFC 1035 §2.3.4). */
export const MAX_NAME_WIRE = 255;
/** Octets of one label. */
export const MAX_LABEL = 63;
/** Octets of the fixed header. */
export const HEADER_LENGTH = 12;

/** Thrown by the writers (and the throwing readers) on input that is not DNS. */
export class WireError extends Error {
  override name = 'WireError';
}
