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
}
/** A record a parser could not use: skipped, counted, reported with its position. */
export interface IntelSkip { position: string; reason: string }
export interface ParsedFeed { entries: IntelEntry[]; skipped: IntelSkip[] }
