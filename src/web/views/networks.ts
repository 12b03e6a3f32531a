/** Flux networks: the list, and one network drawn as names → addresses → ASNs. */
import { api } from '../api.js';
import { count, time } from '../format.js';
import { networkGraph } from '../graph.js';
import { h } from '../h.js';
import type { Route } from '../router.js';
import { domainLink, networkLink, page, table } from '../ui.js';
import type { NetworkGraph, NetworkSummary } from '../types.js';

export async function networksView(): Promise<HTMLElement> {
  const { items } = await api<{ items: NetworkSummary[] }>('/api/v1/networks');
  return page(
    'Flux networks',
    h('p', null, 'Groups of flagged names that share their addresses: one operator behind many names.'),
    table(items, [
      { title: 'Network', cell: (n) => networkLink(n.id) },
      { title: 'Names', cell: (n) => count(n.domains), class: 'num' },
      { title: 'Addresses', cell: (n) => count(n.addresses), class: 'num' },
      { title: 'ASNs', cell: (n) => count(n.asns), class: 'num' },
      { title: 'Countries', cell: (n) => count(n.countries), class: 'num' },
      { title: 'Some names', cell: (n) => h('span', { class: 'names-inline' }, n.sample_domains.slice(0, 3).join(', ')) },
      { title: 'Last seen', cell: (n) => time(n.last_seen) },
    ], 'No flux networks yet.'),
  );
}

export async function networkView(route: Route): Promise<HTMLElement> {
  const id = route.args[0] ?? '';
  const graph = await api<NetworkGraph>(`/api/v1/networks/${encodeURIComponent(id)}`);
  const asnCount = new Map<string, number>();
  for (const a of graph.addresses) {
    const key = a.asn === null ? 'unknown' : `AS${a.asn}`;
    asnCount.set(key, (asnCount.get(key) ?? 0) + 1);
  }
  return page(
    `Flux network ${graph.id}`,
    networkGraph(graph),
    h('div', { class: 'columns' },
      h('div', null, h('h2', null, `Names (${graph.domains.length})`), h('ul', { class: 'names' }, graph.domains.map((d) => h('li', null, domainLink(d))))),
      h('div', null, h('h2', null, `Addresses (${graph.addresses.length})`), table(graph.addresses, [
        { title: 'Address', cell: (a) => h('code', null, a.address) },
        { title: 'ASN', cell: (a) => (a.asn === null ? '' : `AS${a.asn}`) },
        { title: 'Country', cell: (a) => a.country ?? '' },
      ])),
      h('div', null, h('h2', null, `ASNs (${asnCount.size})`), table([...asnCount].sort((a, b) => b[1] - a[1]), [
        { title: 'ASN', cell: ([asn]) => asn },
        { title: 'Addresses', cell: ([, n]) => count(n), class: 'num' },
      ])),
    ),
  );
}
