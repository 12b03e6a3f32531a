/**
 * A verdict's reasons as fluxhound shares them (STIX indicator description,
 * MISP comment, and so TAXII): a reason drawn from threat-intelligence
 * evidence names the feed, the partner's entry and its note
 * (detect/intel-evidence addressReason, detect/intel-verdict listingReason,
 * the intel feature's explain). Those are the operator's business under the
 * partner's TLP: a consumer of our findings must learn neither what a partner
 * posted nor that it posted it. Such a reason becomes one fixed sentence that
 * says only that a threat-intelligence feed lists the address (or the name);
 * every other reason is kept as is. Local outputs (JSON, console, explain)
 * keep the full provenance.
 */

/** Every intel reason template carries this phrase (singular or plural). */
const INTEL_PHRASE = /listed by intel feeds? /;
/** addressReason and the feature's fallback: an answer address, not the name, is listed. */
const ADDRESS_TAIL = /^(?:\S+ \(entry .*?, confidence \d+\) |)as flux infrastructure/;

export const SHARED_ADDRESS_REASON = 'a threat-intelligence feed lists an answer address as flux infrastructure';
export const SHARED_NAME_REASON = 'a threat-intelligence feed lists the name';

/** The reasons with intel provenance left out; identical rewritten reasons collapse to one, order kept. */
export function sharedReasons(reasons: readonly string[]): string[] {
  const out: string[] = [];
  for (const reason of reasons) {
    const text = sharedReason(reason);
    if (text !== reason && out.includes(text)) continue;
    out.push(text);
  }
  return out;
}

/** One reason as shared: unchanged unless it comes from intel evidence. */
export function sharedReason(reason: string): string {
  const at = INTEL_PHRASE.exec(reason);
  if (at === null) return reason;
  const rest = reason.slice(at.index + at[0].length);
  // "… listed by intel feed F (entry R, confidence N) as flux infrastructure" is an address;
  // without the tail (or with ": note") it is the name's own listing.
  return ADDRESS_TAIL.test(rest) ? SHARED_ADDRESS_REASON : SHARED_NAME_REASON;
}
