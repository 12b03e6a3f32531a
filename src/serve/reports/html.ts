/**
 * The report as one self-contained, printable HTML page: no scripts, no
 * images, nothing loaded from anywhere; its one inline stylesheet is pinned
 * by hash in the page's own Content-Security-Policy (so a saved file keeps
 * it) and in REPORT_CSP for the HTTP header. Every value echoed goes through
 * the one name-escaping rule (names) or printable() (free text) — the
 * report already did that — and then escapeHtml.
 */
import { createHash } from 'node:crypto';
import { phraseHtml } from '../../act/explain.js';
import { escapeName } from '../../dns/name-text.js';
import { escapeHtml } from '../block-page/page.js';
import { connectedWhy, type ReportConnections } from './connections.js';
import { itemPhrases, type ItemKind, type ReportAddress, type ReportItem, type TransparencyReport } from './report.js';

const STYLE =
  'body{font:15px/1.45 system-ui,sans-serif;max-width:60em;margin:1.5em auto;padding:0 1em;color:#222}' +
  'h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:1.6em}' +
  'h3{font-size:1.05em;margin:.2em 0}code{background:#f3f3f3;padding:0 .2em;word-break:break-all}' +
  'table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}' +
  '.item{border:1px solid #ddd;border-radius:4px;padding:.6em .9em;margin:1em 0}' +
  '.item dt{font-weight:600;margin-top:.4em}.item dd{margin:0 0 0 1em}.muted{color:#666;font-size:.9em}' +
  '.note{background:#fff6d6;padding:.4em .7em}' +
  '@media print{body{max-width:none;margin:0;font-size:11pt}.item{break-inside:avoid}a{color:inherit}}';

const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** Content-Security-Policy of the page (also its meta tag): nothing but the inline stylesheet. */
export const REPORT_CSP = `default-src 'none'; style-src ${STYLE_HASH}; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'`;

const SECTIONS: Record<ItemKind, { title: string; intro: string }> = {
  blocked: { title: 'Blocked names', intro: 'Your devices asked for these names and did not get their real address.' },
  exposed: {
    title: 'Devices to check',
    intro: 'These devices looked a name up and got its real address shortly before it was flagged and blocked.',
  },
  logged: { title: 'Flagged names answered', intro: 'These names were flagged but your service only records them (policy log): the devices got the real address.' },
};

/** Free text (already printable) made safe for HTML. */
const text = (value: string | number): string => escapeHtml(String(value));
/** An ISO time as people read it: '2026-11-30 00:03:20 UTC' (the JSON keeps ISO 8601). */
const when = (iso: string): string => text(iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC'));
/** A name: the one escaping rule, then HTML. */
const name = (value: string): string => `<code>${escapeHtml(escapeName(value))}</code>`;

export function reportHtml(r: TransparencyReport): string {
  const c = r.customer;
  const t = r.totals;
  const body: string[] = [
    `<h1>Protective DNS transparency report</h1>`,
    `<p><strong>${text(c.name)}</strong> <span class="muted">(customer ${text(c.id)}${c.contact === '' ? '' : `, contact ${text(c.contact)}`})</span></p>`,
    `<p>Period: <strong>${when(r.period.since)}</strong> to <strong>${when(r.period.until)}</strong>. <span class="muted">Generated ${when(r.generated)} by fluxhound.</span></p>`,
    '<h2>Summary</h2>',
    '<table>' +
      row('Queries from your devices', t.queries) +
      row('Queries blocked', t.blocked) +
      row('Queries to flagged names answered (policy log)', t.logged) +
      row('Names blocked', t.blocked_names) +
      row('Names your devices reached before they were blocked', t.exposed_names) +
      row('Devices affected', t.clients_affected) +
      '</table>',
  ];
  if (!r.coverage.complete || r.coverage.names_not_listed > 0) body.push(coverageNote(r));
  for (const kind of ['blocked', 'exposed', 'logged'] as const) {
    const items = r.items.filter((i) => i.kind === kind);
    if (items.length === 0) continue;
    body.push(`<h2>${text(SECTIONS[kind].title)}</h2>`, `<p>${text(SECTIONS[kind].intro)}</p>`);
    for (const item of items) body.push(itemHtml(item));
  }
  if (r.items.length === 0) body.push('<p>Nothing was blocked for your devices in this period.</p>');
  if (r.connections.rows > 0) body.push(connectionsHtml(r.connections));
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${text(REPORT_CSP)}">` +
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">' +
    `<title>Transparency report: ${text(c.name)}, ${when(r.period.since)} to ${when(r.period.until)}</title>` +
    `<style>${STYLE}</style></head><body>\n${body.join('\n')}\n</body></html>\n`
  );
}

/** "Hosts that connected to flux": one table row per domain, from flow data. */
function connectionsHtml(c: ReportConnections): string {
  const rows = c.domains
    .map(
      (d) =>
        `<tr><td>${name(d.domain)}</td><td>${text(d.hosts)}</td><td>${text(d.bypass)}</td><td>${text(d.inbound)}</td><td>${text(d.flows)}</td>` +
        `<td>${when(d.first)} to ${when(d.last)}</td><td>${d.device_list.map(text).join(', ')}${d.hosts + d.inbound > d.device_list.length ? ', …' : ''}<br><span class="muted">${text(connectedWhy(d))}</span></td></tr>`,
    )
    .join('');
  return (
    '<h2>Hosts that connected to flux</h2>' +
    `<p>Flow records show that ${text(c.hosts)} of your device${c.hosts === 1 ? '' : 's'} exchanged traffic with addresses of flagged names or flux networks` +
    (c.bypass > 0 ? `; ${text(c.bypass)} of them without looking the name up through our resolvers (a resolver of their own, a built-in address, or malware)` : '') +
    (c.inbound > 0 ? `; flux hosts connected to ${text(c.inbound)} of your devices` : '') +
    '. A connection is stronger evidence than a lookup: check these devices first.' +
    (c.complete ? '' : ` <span class="muted">Only the newest ${text(c.rows)} records were read.</span>`) +
    '</p>' +
    `<table><tr><th>Name</th><th>Devices</th><th>Without a lookup</th><th>Called in</th><th>Flows</th><th>When</th><th>Devices</th></tr>${rows}</table>`
  );
}

function row(label: string, value: number): string {
  return `<tr><th>${text(label)}</th><td>${text(value)}</td></tr>`;
}

function coverageNote(r: TransparencyReport): string {
  const parts: string[] = [];
  if (!r.coverage.complete) {
    parts.push(`Only the newest ${text(r.coverage.limit)} records were read: names are listed from ${when(r.coverage.oldest_read ?? r.period.since)} on.`);
  }
  if (r.coverage.names_not_listed > 0) parts.push(`${text(r.coverage.names_not_listed)} more names are not listed.`);
  return `<p class="note">${parts.join(' ')}</p>`;
}

function itemHtml(item: ReportItem): string {
  const phrases = itemPhrases(item);
  const behind = item.domain !== null && item.domain !== item.name ? ` because of ${name(item.domain)}` : '';
  const devices = `${text(item.devices)}${item.devices_capped ? '+' : ''} device${item.devices === 1 ? '' : 's'}`;
  const parts: string[] = [
    `<section class="item"><h3>${name(item.name)}</h3><dl>`,
    `<dt>What</dt><dd>${name(item.name)}${behind}: ${text(actionWords(item))}</dd>`,
    `<dt>When</dt><dd>${text(item.count)} time${item.count === 1 ? '' : 's'}, from ${devices}; first ${when(item.first)}, last ${when(item.last)}` +
      (item.device_list.length > 0 ? `<br><span class="muted">Devices: ${item.device_list.map(text).join(', ')}${item.devices > item.device_list.length ? ', …' : ''}</span>` : '') +
      '</dd>',
    `<dt>Why</dt><dd>${phraseHtml(phrases.why, text)}`,
  ];
  if (item.verdict !== null) {
    const v = item.verdict;
    parts.push(
      `<br>Verdict: ${text(v.label)}${v.flux === null ? '' : ` (${text(v.flux)} flux)`}, score ${text(v.score)} of 100.` +
        (v.reasons.length > 0 ? `<ul>${v.reasons.map((reason) => `<li>${text(reason)}</li>`).join('')}</ul>` : ''),
    );
  }
  parts.push('</dd>');
  if (item.evidence !== null) parts.push(`<dt>Evidence</dt><dd>${evidenceHtml(item)}</dd>`);
  parts.push(`<dt>Behind it</dt><dd>${basisHtml(item)}</dd>`);
  parts.push(`<dt>What to do</dt><dd><ul>${phrases.advice.map((p) => `<li>${phraseHtml(p, text)}</li>`).join('')}</ul></dd>`);
  parts.push('</dl></section>');
  return parts.join('');
}

function actionWords(item: ReportItem): string {
  if (item.kind === 'exposed') return 'looked up and answered with its real address before it was blocked';
  if (item.kind === 'logged') return 'flagged, answered normally (policy log)';
  const how = Object.entries(item.actions)
    .map(([action, n]) => `${action} ${n}`)
    .join(', ');
  return `blocked (${how})`;
}

function evidenceHtml(item: ReportItem): string {
  const e = item.evidence!;
  const out = [`${text(e.ips)} addresses in ${text(e.asns)} networks (ASNs) across ${text(e.countries)} countries.`];
  if (e.addresses.length > 0) out.push(`<br>Latest addresses:${addressTable(e.addresses)}`);
  if (e.name_servers.length > 0) out.push(`<br>Name servers: ${e.name_servers.map(name).join(' ')}`);
  if (e.ns_addresses.length > 0) out.push(`<br>Name-server addresses:${addressTable(e.ns_addresses)}`);
  return out.join('');
}

function addressTable(addresses: ReportAddress[]): string {
  const rows = addresses
    .map((a) => `<tr><td><code>${text(a.address)}</code></td><td>${a.asn === null ? '?' : `AS${text(a.asn)}`}</td><td>${when(a.last_seen)}</td><td>${a.known ? 'known CDN/cloud' : ''}</td></tr>`)
    .join('');
  return `<table><tr><th>Address</th><th>Network</th><th>Last seen</th><th></th></tr>${rows}</table>`;
}

function basisHtml(item: ReportItem): string {
  const b = item.basis;
  if (b === null) return 'Not recorded.';
  if (b.rule === 'denylist') {
    return `The operator's deny list${b.by === null ? '' : `: added by ${text(b.by)}`}${b.at === null ? '' : ` at ${when(b.at)}`}${b.comment === '' ? '' : `, note “${text(b.comment)}”`}.`;
  }
  return `fluxhound's detector: verdict ${text(b.verdict ?? 'flagged')}${b.recorded === null ? '' : `, recorded ${when(b.recorded)}`}${item.verdict?.network == null ? '' : `, flux network ${text(item.verdict.network)}`}.`;
}
