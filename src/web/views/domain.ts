/** One domain: verdict, score, reasons in plain words, contributions, evidence, history, passive DNS, and the admin's buttons. */
import { ApiError, api, nameSegment, qs } from '../api.js';
import { barChart } from '../charts.js';
import { count, time } from '../format.js';
import { h } from '../h.js';
import { listActionForm } from '../list-actions.js';
import type { Route } from '../router.js';
import { badge, domainLink, facts, link, message, networkLink, page, table, verdictBadge } from '../ui.js';
import type { DomainInfo, ExposurePage, FlowEvidence, Verdict } from '../types.js';

/** Exposures counted on the domain page: one API page; beyond it the page says "N or more". */
const EXPOSURES_COUNTED = 100;

function rerender(): void {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

function status(info: DomainInfo): HTMLElement {
  return h(
    'p',
    { class: 'status-line' },
    info.blocked ? badge('blocked', 'bad') : badge('answered', 'ok'),
    info.blocked && info.blocked_by !== null && info.blocked_by !== info.name ? [' by ', domainLink(info.blocked_by), ' '] : null,
    info.allowlisted ? badge('allowlisted', 'allow') : null,
    info.denylisted !== null ? badge('blocklisted', 'deny') : null,
  );
}

function actions(info: DomainInfo): HTMLElement | null {
  const forms = [
    info.allowlisted ? listActionForm('allow', 'remove', info.name, rerender) : listActionForm('allow', 'add', info.name, rerender),
    info.denylisted !== null ? listActionForm('deny', 'remove', info.name, rerender) : listActionForm('deny', 'add', info.name, rerender),
  ].filter((f) => f !== null);
  return forms.length === 0 ? null : h('div', { class: 'actions' }, h('h2', null, 'Actions'), forms);
}

function verdictSection(v: Verdict): HTMLElement[] {
  const addresses = v.evidence.addresses;
  return [
    facts([
      ['Verdict', verdictBadge(v.verdict)],
      ['Score', h('strong', { class: 'score' }, `${v.score.toFixed(0)} / 100`)],
      ['Flux', v.flux ?? 'none'],
      ['Scope', v.scope === 'registered_domain' ? `registered domain ${v.registered_domain}` : 'this name'],
      ['Registered domain', v.registered_domain],
      ...(v.zone === null || v.zone === undefined ? [] : ([['Zone', h('code', null, v.zone)]] as [string, HTMLElement][])),
      ['Network', v.network === null ? 'none' : networkLink(v.network)],
      ['First seen', time(v.first_seen)],
      ['Last seen', time(v.last_seen)],
      ['First flagged', v.first_flagged === null ? '' : `${time(v.first_flagged)} after ${count(v.lookups_to_flag)} lookups`],
      ['Lookups', count(v.features.lookups)],
      ...(v.flows === undefined ? [] : ([['Flow evidence', flowEvidence(v.flows)]] as [string, string][])),
    ]),
    h('h2', null, 'Why'),
    h('ol', { class: 'reasons' }, v.reasons.map((r) => h('li', null, r))),
    v.tampering === undefined ? null : message(`Tampering (${v.tampering.kind}): ${v.tampering.reasons.join('; ')}`, 'info'),
    intelSection(v),
    v.contributions.length === 0 ? null : barChart('Score contributions (points)', v.contributions.map((c) => ({ label: c.feature, value: c.points }))),
    h('h2', null, 'Evidence'),
    h('h3', null, `Addresses (${addresses.length})`),
    table(addresses, [
      { title: 'Address', cell: (a) => h('code', null, a.address) },
      { title: 'ASN', cell: (a) => (a.asn === null ? '' : `AS${a.asn}`) },
      { title: 'Known CDN/cloud', cell: (a) => (a.known ? 'yes' : '') },
      { title: 'Last seen', cell: (a) => time(a.last_seen) },
    ]),
    h('h3', null, `Name servers (${v.evidence.name_servers.length})`),
    v.evidence.name_servers.length === 0 ? h('p', { class: 'empty' }, 'None seen.') : h('ul', { class: 'names' }, v.evidence.name_servers.map((n) => h('li', null, h('code', null, n)))),
    v.evidence.ns_addresses.length === 0
      ? null
      : table(v.evidence.ns_addresses, [
          { title: 'Name-server address', cell: (a) => h('code', null, a.address) },
          { title: 'ASN', cell: (a) => (a.asn === null ? '' : `AS${a.asn}`) },
          { title: 'Last seen', cell: (a) => time(a.last_seen) },
        ]),
  ].filter((x): x is HTMLElement => x !== null);
}

/** Verdict.flows in words: what the flows said about the name's own addresses within the window. */
function flowEvidence(f: FlowEvidence): string {
  const hours = f.window % 3600 === 0 ? `${f.window / 3600} h` : `${Math.round(f.window / 60)} min`;
  return `${count(f.addresses)} of its addresses took connections from ${count(f.clients)} clients and connected in to ${count(f.inbound)} of our hosts in ${hours} (${count(f.flows)} flows)`;
}

/**
 * How many exposures the store holds for the name (and names under it): one
 * page of GET /api/v1/exposures; null when there is no store (503) or the
 * token may not read it, so the page shows nothing rather than an error.
 */
async function exposuresOf(name: string): Promise<ExposurePage | null> {
  try {
    return await api<ExposurePage>(`/api/v1/exposures${qs({ domain: name, limit: EXPOSURES_COUNTED })}`);
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) return null;
    throw err;
  }
}

function exposuresSection(name: string, found: ExposurePage | null): HTMLElement[] {
  if (found === null) return [];
  const n = found.items.length;
  const bypass = found.items.filter((e) => e.bypass).length;
  const text = n === 0 ? 'No client connected to it (no flow exposures stored).' : `${count(n)}${found.next === null ? '' : ' or more'} exposures: clients whose flows reached or came from its addresses${bypass > 0 ? `, ${count(bypass)} without a DNS lookup (DNS bypass)` : ''}.`;
  return [
    h('h2', null, 'Exposures'),
    h('p', { class: 'exposures-count' }, text, n === 0 ? null : [' ', link(`#/exposures${qs({ domain: name })}`, 'List them →')]),
  ];
}

/** The feed entries behind the verdict (Verdict.intel): a listing of the name, or its addresses listed as flux infrastructure. Text only. */
function intelSection(v: Verdict): HTMLElement | null {
  if (v.intel === undefined || v.intel.length === 0) return null;
  return h(
    'div',
    { class: 'intel' },
    h('h3', null, `Threat intelligence (${v.intel.length})`),
    table(v.intel, [
      { title: 'Feed', cell: (l) => l.feed },
      { title: 'Entry', cell: (l) => h('code', null, l.ref) },
      { title: 'Lists', cell: (l) => (l.kind === 'domain' ? 'this name' : l.kind === 'address' ? 'an address' : 'a network') },
      { title: 'Value', cell: (l) => h('code', null, l.value) },
      { title: 'Confidence', cell: (l) => String(l.confidence) },
      { title: 'Action', cell: (l) => l.action },
      { title: 'Note', cell: (l) => l.note },
    ]),
  );
}

export async function domainView(route: Route): Promise<HTMLElement> {
  const name = route.args[0] ?? '';
  let info: DomainInfo;
  let exposures: ExposurePage | null;
  try {
    info = await api<DomainInfo>(`/api/v1/domains/${nameSegment(name)}`);
    exposures = await exposuresOf(info.name);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return page('Domain', h('p', null, 'Nothing is known about ', h('code', { class: 'name' }, name), '.'));
    throw err;
  }
  const v = info.verdict;
  const heading = h('h1', { class: 'domain-name' }, h('span', { class: 'label' }, 'Domain '), h('code', { class: 'name' }, info.name));
  return h(
    'section',
    { class: 'page domain' },
    heading,
    status(info),
    info.denylisted === null ? null : message(`Blocklisted by ${info.denylisted.by} at ${time(info.denylisted.at)}: ${info.denylisted.comment}`, 'info'),
    actions(info),
    v === null ? h('p', null, 'No verdict: fluxhound has not flagged this name.') : verdictSection(v),
    exposuresSection(info.name, exposures),
    h('h2', null, 'History'),
    table(info.history, [
      { title: 'When', cell: (r) => time(r.ts) },
      { title: 'Verdict', cell: (r) => verdictBadge(r.verdict) },
      { title: 'Flux', cell: (r) => r.flux ?? '' },
      { title: 'Score', cell: (r) => r.score.toFixed(0), class: 'num' },
    ], 'No stored history.'),
    h('h2', null, 'Passive DNS'),
    table(info.passive_dns, [
      { title: 'Name', cell: (r) => (r.name === info.name ? h('span', { class: 'note' }, 'this name') : domainLink(r.name)) },
      { title: 'Type', cell: (r) => r.type },
      { title: 'Data', cell: (r) => h('code', null, r.data) },
      { title: 'Count', cell: (r) => count(r.count), class: 'num' },
      { title: 'TTL', cell: (r) => (r.ttl === null ? '' : String(r.ttl)), class: 'num' },
      { title: 'First seen', cell: (r) => time(r.firstSeen) },
      { title: 'Last seen', cell: (r) => time(r.lastSeen) },
    ], 'No passive DNS stored.'),
    h('p', null, link(`#/querylog?name=${encodeURIComponent(info.name)}`, 'Queries for this name →')),
  );
}
