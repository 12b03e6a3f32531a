/**
 * The record every intelligence feed parser gives, whatever the format
 * (list, CSV, RPZ, STIX, MISP, TAXII): one listed domain, address or network,
 * with where it came from. Shared by all intel branches of issue 15: keep
 * this shape exactly.
 */
export type IntelKind = 'domain' | 'address' | 'cidr';
export interface IntelEntry {
  kind: IntelKind;
  /** domain: canonical name (lower case, no trailing dot, escaped by dns/name-text escapeName);
   *  address: IPv4/IPv6 text; cidr: 'network/bits' with host bits zero. */
  value: string;
  /** The entry's own id in its feed (STIX indicator id, MISP attribute uuid, 'file:line'). */
  ref: string;
  /** Free text the feed gave (indicator name/description, MISP comment); '' when none. */
  note: string;
  /** Epoch ms from which this entry no longer matches (a STIX indicator's valid_until, or the latest of
   *  the indicators related to an SCO); absent: only the feed's expiry applies. Checked at lookup. */
  validUntil?: number;
}
/** A record a parser could not use: skipped, counted, reported with its position. */
export interface IntelSkip { position: string; reason: string }
export interface ParsedFeed { entries: IntelEntry[]; skipped: IntelSkip[] }
