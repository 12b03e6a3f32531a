/**
 * Flow exposures (issue 16): clients that exchanged traffic with an address
 * of a flagged name or a flux network, from GET /api/v1/exposures, most
 * recent last flow first; filters client (address or CIDR), customer,
 * domain (the name and names under it) and DNS bypass; pages follow the
 * API's cursor. Names arrive in the one escaping rule and are shown as text.
 */
import { api, qs } from '../api.js';
import { count, time } from '../format.js';
import { h } from '../h.js';
import { hashOf, paramsOf, type Route } from '../router.js';
import { badge, customerLink, domainLink, field, filterForm, link, page, table } from '../ui.js';
import type { Exposure, ExposurePage } from '../types.js';

const LIMIT = 100;

/** '1.2 MB' from a byte count, as the exposure's reason writes it. */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export async function exposuresView(route: Route): Promise<HTMLElement> {
  const q = route.query;
  const filters = paramsOf(q, ['client', 'customer', 'domain', 'bypass']);
  const cursor = q.get('cursor') ?? '';
  // The cursors of the pages before this one, so "Newer" can go back.
  const back = (q.get('back') ?? '').split(' ').filter((c) => c !== '');
  const result = await api<ExposurePage>(`/api/v1/exposures${qs({ ...filters, limit: LIMIT, cursor })}`);

  const form = filterForm(
    (data) => {
      location.hash = hashOf('exposures', {
        client: String(data.get('client') ?? '').trim(),
        customer: String(data.get('customer') ?? '').trim(),
        domain: String(data.get('domain') ?? '').trim(),
        bypass: String(data.get('bypass') ?? ''),
      });
    },
    field('Client', h('input', { type: 'text', name: 'client', value: filters.client, placeholder: '192.0.2.0/24', spellcheck: 'false' })),
    field('Customer', h('input', { type: 'text', name: 'customer', value: filters.customer, spellcheck: 'false' })),
    field('Domain', h('input', { type: 'search', name: 'domain', value: filters.domain, spellcheck: 'false' })),
    field(
      'DNS bypass',
      h(
        'select',
        { name: 'bypass' },
        [
          ['', 'any'],
          ['true', 'only bypass'],
          ['false', 'no bypass'],
        ].map(([value, label]) => h('option', { value: value!, selected: filters.bypass === value }, label!)),
      ),
    ),
    h('button', { type: 'submit' }, 'Search'),
  );

  const rows = table<Exposure>(result.items, [
    { title: 'Client', cell: (e) => link(hashOf('exposures', { client: e.client }), e.client) },
    { title: 'Customer', cell: (e) => (e.customer === null ? '' : customerLink(e.customer)) },
    { title: 'Domain', cell: (e) => domainLink(e.domain) },
    { title: 'Address', cell: (e) => h('code', { class: 'address' }, e.address) },
    { title: 'Direction', cell: (e) => e.direction },
    { title: 'Bypass', cell: (e) => (e.bypass ? badge('DNS bypass', 'bad') : '') },
    { title: 'First', cell: (e) => time(e.first) },
    { title: 'Last', cell: (e) => time(e.last) },
    { title: 'Flows', cell: (e) => count(e.flows), class: 'num' },
    { title: 'Bytes', cell: (e) => (e.sampled ? `≈ ${bytes(e.bytes)}` : bytes(e.bytes)), class: 'num' },
  ], 'No exposures match.');

  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    cursor !== '' ? link(hashOf('exposures', { ...filters, cursor: back[back.length - 1] ?? '', back: back.slice(0, -1).join(' ') }), '← Newer') : null,
    h('span', null, `${result.items.length} exposures`),
    result.next !== null ? link(hashOf('exposures', { ...filters, cursor: result.next, back: [...back, cursor].filter((c) => c !== '').join(' ') }), 'Older →') : null,
  );
  return page('Exposures', h('p', { class: 'note' }, 'Clients whose flows reached (outbound) or came from (inbound) an address of a flagged name or a flux network.'), form, pager, rows);
}
