/** Query-log search: client, customer, name, actions and a time range; pages follow the API's cursor. */
import { api, qs } from '../api.js';
import { fromLocalInput, time, toLocalInput } from '../format.js';
import { h } from '../h.js';
import { hashOf, paramsOf, type Route } from '../router.js';
import { badge, customerLink, domainLink, field, filterForm, link, page, table } from '../ui.js';
import type { QueryLogEntry, QueryLogPage } from '../types.js';

const ACTIONS = ['nxdomain', 'nodata', 'drop', 'sinkhole', 'log', 'pass', 'exposed'] as const;
const LIMIT = 100;

export async function querylogView(route: Route): Promise<HTMLElement> {
  const q = route.query;
  const filters = paramsOf(q, ['client', 'customer', 'name', 'action', 'since', 'until']);
  const cursor = q.get('cursor') ?? '';
  // The cursors of the pages before this one, so "Newer" can go back.
  const back = (q.get('back') ?? '').split(' ').filter((c) => c !== '');
  const result = await api<QueryLogPage>(`/api/v1/querylog${qs({ ...filters, limit: LIMIT, cursor })}`);
  const chosen = new Set(filters.action.split(',').filter((a) => a !== ''));

  const form = filterForm(
    (data) => {
      location.hash = hashOf('querylog', {
        client: String(data.get('client') ?? '').trim(),
        customer: String(data.get('customer') ?? '').trim(),
        name: String(data.get('name') ?? '').trim(),
        action: data.getAll('action').map(String).join(','),
        since: fromLocalInput(String(data.get('since') ?? '')),
        until: fromLocalInput(String(data.get('until') ?? '')),
      });
    },
    field('Client', h('input', { type: 'text', name: 'client', value: filters.client, placeholder: '192.0.2.7', spellcheck: 'false' })),
    field('Customer', h('input', { type: 'text', name: 'customer', value: filters.customer, spellcheck: 'false' })),
    field('Name', h('input', { type: 'search', name: 'name', value: filters.name, spellcheck: 'false' })),
    field('Since (UTC)', h('input', { type: 'datetime-local', name: 'since', value: toLocalInput(filters.since) })),
    field('Until (UTC)', h('input', { type: 'datetime-local', name: 'until', value: toLocalInput(filters.until) })),
    h('fieldset', { class: 'actions-filter' }, h('legend', null, 'Action'), ACTIONS.map((a) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'action', value: a, checked: chosen.has(a) }), a))),
    h('button', { type: 'submit' }, 'Search'),
  );

  const rows = table<QueryLogEntry>(result.items, [
    { title: 'Time', cell: (e) => time(e.ts) },
    { title: 'Client', cell: (e) => link(hashOf('querylog', { client: e.client }), e.client) },
    { title: 'Customer', cell: (e) => (e.customer === null ? '' : customerLink(e.customer)) },
    { title: 'Name', cell: (e) => domainLink(e.name) },
    { title: 'Type', cell: (e) => e.qtype },
    { title: 'Action', cell: (e) => badge(e.action, e.action) },
    { title: 'Why', cell: (e) => h('span', { class: 'reason' }, e.rule === 'denylist' ? `blocklist: ${e.reason ?? ''}` : e.rule === 'intel' ? `intel: ${e.reason ?? ''}` : (e.reason ?? '')) },
  ], 'No queries match.');

  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    cursor !== '' ? link(hashOf('querylog', { ...filters, cursor: back[back.length - 1] ?? '', back: back.slice(0, -1).join(' ') }), '← Newer') : null,
    h('span', null, `${result.items.length} entries`),
    result.next !== null ? link(hashOf('querylog', { ...filters, cursor: result.next, back: [...back, cursor].filter((c) => c !== '').join(' ') }), 'Older →') : null,
  );
  return page('Query log', form, pager, rows);
}
