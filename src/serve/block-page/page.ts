/**
 * The block page: what a person sees when a browser follows a sinkholed
 * name here. It says which name was blocked, why in plain words, and what to
 * do — the phishing-awareness advice at the moment it matters. Everything
 * echoed (the name, the reasons, the Host header) is escaped; the page loads
 * nothing from anywhere and its one stylesheet is pinned by hash in the CSP.
 */
import { createHash } from 'node:crypto';
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

const WHY: Record<'single' | 'double' | 'none', string> = {
  single:
    'Its address keeps changing across many computers in different networks and countries. This is called ' +
    '<em>fast flux</em>: criminals use it to keep phishing sites and malware online by hiding them behind hijacked machines.',
  double:
    'Both its address and the servers that answer for the name keep changing across many computers in different ' +
    'networks and countries. This is called <em>double fast flux</em>: criminals use it to keep phishing sites and ' +
    'malware online by hiding them behind hijacked machines.',
  none: 'It behaves like a name used to hide criminal sites behind hijacked machines (<em>fast flux</em>).',
};

/** For a name on the operator's deny list (Verdict.listed): a policy entry, not a detection; the page must not claim fast flux. */
const LISTED_WHY = 'The operators of your network put it on their list of blocked sites, usually because it was reported for phishing or malware.';

function page(title: string, body: string): string {
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">' +
    `<title>${title}</title><style>${STYLE}</style></head><body>\n${body}\n</body></html>\n`
  );
}

/** The page for a blocked name; `host` is what the browser asked for, `now` the time shown as a reference. */
export function blockedPage(host: string, v: Verdict, now: Date): string {
  const name = escapeHtml(escapeName(host));
  const domain = escapeHtml(escapeName(v.domain));
  const reasons = v.reasons.slice(0, 6).map((r) => `<li>${escapeHtml(printable(r).slice(0, 300))}</li>`).join('');
  const sameName = host === v.domain;
  return page(
    'Blocked: this site may be dangerous',
    `<h1>This site was blocked to protect you</h1>\n` +
      `<p>Your network blocked <code>${name}</code>${sameName ? '' : ` (because of <code>${domain}</code>)`}.</p>\n` +
      `<h2>Why</h2>\n<p>${v.listed === undefined ? WHY[v.flux ?? 'none'] : LISTED_WHY}</p>\n` +
      (reasons.length > 0 ? `<p>${v.listed === undefined ? 'What was measured' : 'Their note'}:</p><ul>${reasons}</ul>\n` : '') +
      '<h2>What to do</h2>\n<ul>' +
      '<li><strong>Do not enter passwords, codes or payment details</strong> on this site, and do not download anything from it.</li>' +
      '<li>If a message, e-mail or advert brought you here, it is probably <strong>phishing</strong>: delete it, and do not click its other links.</li>' +
      '<li>If you already typed a password there, <strong>change it now</strong> on the real site (type its address yourself) and wherever you use the same password.</li>' +
      '<li>If you think this is a mistake, contact your IT or security team and give them the reference below.</li>' +
      '</ul>\n' +
      `<p class="ref">Reference: ${name} · ${v.listed === undefined ? escapeHtml(v.verdict) : 'deny list'} · score ${Math.round(v.score)} · ${escapeHtml(now.toISOString())} · fluxhound</p>`,
  );
}

/** The page for anything not blocked: says so and nothing else. */
export function neutralPage(): string {
  return page('Nothing blocked here', '<h1>Nothing is blocked at this address</h1>\n<p>This is the block page of a fluxhound protective DNS service.</p>');
}
