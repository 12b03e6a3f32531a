/**
 * Why a name was blocked and what to do about it, in plain words: the one
 * text the block page shows at the moment of risk and the transparency
 * reports repeat to the customer afterwards, so the two never drift apart.
 *
 * Text is kept as phrases (plain strings with marked emphasis) rather than
 * HTML, so a CSV cell or a JSON field gets the words and an HTML page adds
 * the markup; each output escapes them its own way.
 */
import type { FluxKind, IntelListing } from '../model/verdict.js';
import { printable } from './report/table.js';

/** A piece of a phrase: plain words, or words a page emphasises (em) or stresses (strong). */
export type PhrasePart = string | { readonly em: string } | { readonly strong: string };
export type Phrase = readonly PhrasePart[];

const FLUX_HARM = 'criminals use it to keep phishing sites and malware online by hiding them behind hijacked machines.';

const WHY: Record<'single' | 'double' | 'none', Phrase> = {
  single: [
    'Its address keeps changing across many computers in different networks and countries. This is called ',
    { em: 'fast flux' },
    `: ${FLUX_HARM}`,
  ],
  double: [
    'Both its address and the servers that answer for the name keep changing across many computers in different ' +
      'networks and countries. This is called ',
    { em: 'double fast flux' },
    `: ${FLUX_HARM}`,
  ],
  none: ['It behaves like a name used to hide criminal sites behind hijacked machines (', { em: 'fast flux' }, ').'],
};

/** Why a name the detector flagged is blocked: single or double fast flux (or neither measured yet). */
export function whyFlux(flux: FluxKind | null): Phrase {
  return WHY[flux ?? 'none'];
}

/** Why a name the operator denied is blocked; `comment` is the deny entry's own (made printable here, and cut at 300 characters). */
export function whyDenied(comment: string): Phrase {
  const because = printable(comment.trim()).slice(0, 300);
  return [
    "Your network's operator put this name on its ",
    { em: 'deny list' },
    because.length > 0 ? `, with the note: “${because}”.` : ', without a note.',
  ];
}

/** Why a name a threat-intelligence feed lists is blocked: the feed and its entry (made printable here, cut at 120 characters each). */
export function whyListed(listing: Pick<IntelListing, 'feed' | 'ref'>): Phrase {
  return [
    "A threat-intelligence feed your network's operator uses (",
    { em: printable(listing.feed).slice(0, 120) },
    `, entry ${printable(listing.ref).slice(0, 120)}) lists this name as `,
    { em: 'fast flux' },
    ` infrastructure: ${FLUX_HARM}`,
  ];
}

/** The sentence a detection adds when feeds list its addresses as flux infrastructure. */
function intelEvidence(listings: readonly Pick<IntelListing, 'feed' | 'kind'>[]): Phrase {
  const feeds = [...new Set(listings.filter((l) => l.kind !== 'domain').map((l) => printable(l.feed).slice(0, 120)))];
  if (feeds.length === 0) return [];
  return [` Threat-intelligence ${feeds.length === 1 ? 'feed' : 'feeds'} `, { em: feeds.slice(0, 3).join(', ') }, `${feeds.length === 1 ? ' also lists' : ' also list'} its addresses as flux infrastructure.`];
}

/**
 * Why a flagged verdict blocks: the operator's deny entry when the verdict
 * is one (Verdict.listed, the policy verdict the lists service puts in the
 * flagged set); a feed's listing of the name (Verdict.intel, a listing
 * verdict: no flux measured); else the flux the detector measured, with the
 * feeds that list its addresses.
 */
export function whyBlocked(v: { flux: FluxKind | null; listed?: { comment: string }; intel?: readonly Pick<IntelListing, 'feed' | 'ref' | 'kind'>[] }): Phrase {
  if (v.listed !== undefined) return whyDenied(v.listed.comment);
  const first = v.intel?.[0];
  if (first !== undefined && first.kind === 'domain' && v.flux === null) return whyListed(first);
  return v.intel === undefined ? whyFlux(v.flux) : [...whyFlux(v.flux), ...intelEvidence(v.intel)];
}

/** What a person should do at a blocked name: the block page's advice, without its last line (which names where to turn). */
export const BLOCKED_ADVICE: readonly Phrase[] = [
  [{ strong: 'Do not enter passwords, codes or payment details' }, ' on this site, and do not download anything from it.'],
  ['If a message, e-mail or advert brought you here, it is probably ', { strong: 'phishing' }, ': delete it, and do not click its other links.'],
  [
    'If you already typed a password there, ',
    { strong: 'change it now' },
    ' on the real site (type its address yourself) and wherever you use the same password.',
  ],
];

/** The block page's last line: it shows a reference to quote. */
export const MISTAKE_ADVICE_PAGE: Phrase = ['If you think this is a mistake, contact your IT or security team and give them the reference below.'];

/** A report's last line of advice: the report itself gives the name and times to quote. */
export const MISTAKE_ADVICE_REPORT: Phrase = ['If you think this is a mistake, tell your provider: quote the name and the times shown here.'];

/**
 * What a customer should do about devices that looked a name up before it
 * was blocked (query-log action `exposed`), or that were answered normally
 * under policy log: they reached the site, so the device itself is in question.
 */
export const EXPOSED_ADVICE: readonly Phrase[] = [
  [
    { strong: 'Check these devices' },
    ': they looked this name up and got its real address before it was blocked, so they may have reached the site.',
  ],
  [
    'Ask their users whether they opened a link or entered a password around that time; if so, ',
    { strong: 'change that password' },
    ' on the real site and scan the device for malware.',
  ],
];

/** The same for a flagged name answered normally (policy log: recorded, not blocked). */
export const LOGGED_ADVICE: readonly Phrase[] = [
  [
    { strong: 'Check these devices' },
    ': this name was flagged but your service only records it (policy log), so they reached the site.',
  ],
  EXPOSED_ADVICE[1]!,
];

/** The phrase as plain words (CSV, JSON, logs). */
export function plainText(phrase: Phrase): string {
  let out = '';
  for (const part of phrase) out += typeof part === 'string' ? part : 'em' in part ? part.em : part.strong;
  return out;
}

/** The phrase as HTML, each piece escaped with `escape` (the page's own escaping). */
export function phraseHtml(phrase: Phrase, escape: (text: string) => string): string {
  let out = '';
  for (const part of phrase) {
    if (typeof part === 'string') out += escape(part);
    else if ('em' in part) out += `<em>${escape(part.em)}</em>`;
    else out += `<strong>${escape(part.strong)}</strong>`;
  }
  return out;
}
