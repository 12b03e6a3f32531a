/**
 * The block page: what a person sees when a browser follows a sinkholed
 * name here. It says which name was blocked, why in plain words, and what to
 * do — the phishing-awareness advice at the moment it matters. Everything
 * echoed (the name, the reasons, the Host header) is escaped; the page loads
 * nothing from anywhere and its one stylesheet is pinned by hash in the CSP.
 */
import { createHash } from 'node:crypto';
import { BLOCKED_ADVICE, MISTAKE_ADVICE_PAGE, phraseHtml, whyBlocked } from '../../act/explain.js';
import { printable } from '../../act/report/table.js';
import { escapeName } from '../../dns/name-text.js';
import type { Verdict } from '../../model/verdict.js';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:42em;margin:2em auto;padding:0 1em;color:#222}' +
  'h1{font-size:1.6em;color:#a00}code{background:#f3f3f3;padding:0 .2em;word-break:break-all}' +
  'li{margin:.3em 0}.ref{color:#666;font-size:.9em}';

/** Content-Security-Policy: nothing but the inline stylesheet above. */
export const CSP =
  `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; ` +
  "img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Text safe inside HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">' +
    `<title>${title}</title><style>${STYLE}</style></head><body>\n${body}\n</body></html>\n`
  );
}

/**
 * A feed's name as a stranger may read it: a TAXII inbox feed is named
 * after the partner who pushed it (`taxii:<poster>`, the poster's token
 * name), which is the operator's business, not the blocked person's.
 */
export function publicFeedName(feed: string): string {
  return feed.startsWith('taxii:') ? 'TAXII inbox' : feed;
}

/** `v` with every pushed feed's poster left out of its intel entries and its reasons. */
function withPublicFeeds(v: Verdict): Verdict {
  const posted = (v.intel ?? []).filter((l) => publicFeedName(l.feed) !== l.feed);
  if (posted.length === 0) return v;
  let reasons = v.reasons;
  for (const l of posted) reasons = reasons.map((r) => r.split(l.feed).join(publicFeedName(l.feed)));
  return { ...v, reasons, intel: v.intel!.map((l) => ({ ...l, feed: publicFeedName(l.feed) })) };
}

/** The page for a blocked name; `host` is what the browser asked for, `now` the time shown as a reference. */
export function blockedPage(host: string, verdict: Verdict, now: Date): string {
  const v = withPublicFeeds(verdict);
  const name = escapeHtml(escapeName(host));
  const domain = escapeHtml(escapeName(v.domain));
  const reasons = v.reasons.slice(0, 6).map((r) => `<li>${escapeHtml(printable(r).slice(0, 300))}</li>`).join('');
  const sameName = host === v.domain;
  return page(
    'Blocked: this site may be dangerous',
    `<h1>This site was blocked to protect you</h1>\n` +
      `<p>Your network blocked <code>${name}</code>${sameName ? '' : ` (because of <code>${domain}</code>)`}.</p>\n` +
      `<h2>Why</h2>\n<p>${phraseHtml(whyBlocked(v), escapeHtml)}</p>\n` +
      (reasons.length > 0 ? `<p>What was measured:</p><ul>${reasons}</ul>\n` : '') +
      '<h2>What to do</h2>\n<ul>' +
      [...BLOCKED_ADVICE, MISTAKE_ADVICE_PAGE].map((advice) => `<li>${phraseHtml(advice, escapeHtml)}</li>`).join('') +
      '</ul>\n' +
      `<p class="ref">Reference: ${name} · ${escapeHtml(v.verdict)} · score ${Math.round(v.score)} · ${escapeHtml(now.toISOString())} · fluxhound</p>`,
  );
}

/** The page for anything not blocked: says so and nothing else. */
export function neutralPage(): string {
  return page('Nothing blocked here', '<h1>Nothing is blocked at this address</h1>\n<p>This is the block page of a fluxhound protective DNS service.</p>');
}
