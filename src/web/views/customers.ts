/** Customers: the list, and one customer's traffic, top blocked names and transparency reports. */
import { api, download, qs } from '../api.js';
import { lineChart } from '../charts.js';
import { count, time } from '../format.js';
import { h } from '../h.js';
import type { Route } from '../router.js';
import { card, customerLink, domainLink, facts, link, message, page, table } from '../ui.js';
import type { Customer, CustomerDetail } from '../types.js';

export async function customersView(): Promise<HTMLElement> {
  const { items } = await api<{ items: Customer[] }>('/api/v1/customers');
  return page(
    'Customers',
    table(items, [
      { title: 'Id', cell: (c) => customerLink(c.id) },
      { title: 'Name', cell: (c) => c.name },
      { title: 'Contact', cell: (c) => c.contact },
      { title: 'Networks', cell: (c) => h('span', { class: 'names-inline' }, c.networks.join(', ')) },
    ], 'No customers configured (config: customers).'),
  );
}

const REPORT_RANGES: readonly [string, number][] = [
  ['last 24 hours', 86_400],
  ['last 7 days', 7 * 86_400],
  ['last 30 days', 30 * 86_400],
];

function reportLinks(id: string): HTMLElement {
  const status = h('div', { 'aria-live': 'polite' });
  const rows = REPORT_RANGES.map(([label, seconds]) =>
    h(
      'li',
      null,
      `${label}: `,
      (['html', 'csv', 'json'] as const).map((format) =>
        h(
          'button',
          {
            type: 'button',
            class: 'link-button',
            onclick: () => {
              const until = Math.floor(Date.now() / 1000);
              const path = `/api/v1/customers/${encodeURIComponent(id)}/report${qs({ since: until - seconds, until, format })}`;
              download(path, `fluxhound-report-${id}.${format}`).catch((err: unknown) => status.replaceChildren(message(err instanceof Error ? err.message : String(err), 'error')));
            },
          },
          format.toUpperCase(),
        ),
      ),
    ),
  );
  return h('div', { class: 'reports' }, h('h2', null, 'Transparency report'), h('ul', null, rows), status);
}

export async function customerView(route: Route): Promise<HTMLElement> {
  const id = route.args[0] ?? '';
  const d = await api<CustomerDetail>(`/api/v1/customers/${encodeURIComponent(id)}`);
  const times = d.points.map((p) => p.ts);
  return page(
    `Customer ${d.customer.name}`,
    facts([
      ['Id', d.customer.id],
      ['Contact', d.customer.contact],
      ['Networks', d.customer.networks.join(', ')],
    ]),
    h('div', { class: 'cards' }, card('Queries (24 h)', count(d.totals.queries)), card('Blocked (24 h)', count(d.totals.blocked)), card('Logged (24 h)', count(d.totals.logged))),
    h('div', { class: 'charts' }, lineChart('Last 24 hours', times, [
      { label: 'queries', values: d.points.map((p) => p.queries) },
      { label: 'blocked', values: d.points.map((p) => p.blocked) },
      { label: 'logged', values: d.points.map((p) => p.logged) },
    ])),
    h('h2', null, 'Top blocked names'),
    table(d.top_blocked, [
      { title: 'Name', cell: (r) => domainLink(r.name) },
      { title: 'Flagged domain', cell: (r) => (r.domain === null ? '' : domainLink(r.domain)) },
      { title: 'Blocks', cell: (r) => count(r.count), class: 'num' },
      { title: 'Last', cell: (r) => time(r.last) },
    ], 'Nothing blocked for this customer.'),
    h('p', null, link(`#/querylog?customer=${encodeURIComponent(d.customer.id)}`, "This customer's queries →")),
    reportLinks(d.customer.id),
  );
}
