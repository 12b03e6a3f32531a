/** Flagged domains: filters (text, verdict, flux kind, network), sort, and pages of 50. */
import { api, qs } from '../api.js';
import { count, time } from '../format.js';
import { h } from '../h.js';
import { hashOf, paramsOf, type Route } from '../router.js';
import { badge, domainLink, field, filterForm, link, networkLink, page, table, verdictBadge } from '../ui.js';
import type { Flagged, FlaggedItem } from '../types.js';

const LIMIT = 50;

function select(name: string, value: string, options: readonly [string, string][]): HTMLSelectElement {
  return h('select', { name }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

export async function flaggedView(route: Route): Promise<HTMLElement> {
  const q = route.query;
  const filters = { ...paramsOf(q, ['q', 'verdict', 'flux', 'network']), sort: q.get('sort') ?? 'score' };
  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
  const result = await api<Flagged>(`/api/v1/flagged${qs({ ...filters, limit: LIMIT, offset })}`);

  const form = filterForm(
    (data) => {
      location.hash = hashOf('flagged', Object.fromEntries([...data.entries()].map(([k, v]) => [k, String(v)])));
    },
    field('Name contains', h('input', { type: 'search', name: 'q', value: filters.q })),
    field('Verdict', select('verdict', filters.verdict, [['', 'any'], ['fast-flux', 'fast-flux'], ['suspicious', 'suspicious']])),
    field('Flux', select('flux', filters.flux, [['', 'any'], ['single', 'single'], ['double', 'double']])),
    field('Network', h('input', { type: 'text', name: 'network', value: filters.network, placeholder: 'fn-1', size: 8 })),
    field('Sort', select('sort', filters.sort, [['score', 'score'], ['last_seen', 'last seen']])),
    h('button', { type: 'submit' }, 'Filter'),
  );

  const rows = table<FlaggedItem>(
    result.items,
    [
      { title: 'Domain', cell: (r) => domainLink(r.domain) },
      { title: 'Verdict', cell: (r) => [verdictBadge(r.verdict), r.rule === 'denylist' ? badge('denylist', 'deny') : r.rule === 'intel' ? badge('intel', 'deny') : null] },
      { title: 'Flux', cell: (r) => r.flux ?? '' },
      { title: 'Score', cell: (r) => r.score.toFixed(0), class: 'num' },
      { title: 'Why', cell: (r) => h('span', { class: 'reason' }, r.reasons[0] ?? '') },
      { title: 'Network', cell: (r) => (r.network === null ? '' : networkLink(r.network)) },
      { title: 'Last seen', cell: (r) => time(r.last_seen) },
    ],
    'No flagged domains match.',
  );

  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    offset > 0 ? link(hashOf('flagged', { ...filters, offset: Math.max(0, offset - LIMIT) }), '← Previous') : null,
    h('span', null, result.total === 0 ? '0' : `${count(offset + 1)}–${count(offset + result.items.length)} of ${count(result.total)}`),
    offset + result.items.length < result.total ? link(hashOf('flagged', { ...filters, offset: offset + LIMIT }), 'Next →') : null,
  );
  return page('Flagged domains', form, pager, rows);
}
