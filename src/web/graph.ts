/**
 * A flux network as a layered graph: names on the left, the addresses they
 * resolved to in the middle, the ASNs announcing those addresses on the
 * right. Each column is ordered by the mean position of its neighbours on
 * the left (one barycentre pass), which untangles most crossings without a
 * physics loop. Bounded: at most MAX_NAMES names and MAX_ADDRESSES
 * addresses are drawn (the tables beside it list everything).
 */
import { h, s } from './h.js';
import { domainHref } from './ui.js';
import type { NetworkGraph } from './types.js';

export const MAX_NAMES = 80;
export const MAX_ADDRESSES = 200;

const ROW = 16;
const W = 760;
const X_NAME = 250;
const X_ADDR = 440;
const X_ASN = 660;

export interface Layout {
  names: string[];
  addresses: { address: string; asn: number | null }[];
  asns: string[];
  edges: { domain: string; address: string }[];
  /** How many of each were left out by the caps. */
  omitted: { names: number; addresses: number };
}

function asnLabel(asn: number | null): string {
  return asn === null ? 'AS?' : `AS${asn}`;
}

/** Orders the columns and applies the caps: the pure part, tested without a browser. */
export function layout(graph: NetworkGraph): Layout {
  const names = graph.domains.slice(0, MAX_NAMES);
  const nameRow = new Map(names.map((n, i) => [n, i]));
  const edges = graph.edges.filter((e) => nameRow.has(e.domain));
  const rows = new Map<string, number[]>();
  for (const e of edges) rows.set(e.address, [...(rows.get(e.address) ?? []), nameRow.get(e.domain)!]);
  const mean = (xs: readonly number[] | undefined) => (xs === undefined || xs.length === 0 ? Infinity : xs.reduce((a, b) => a + b, 0) / xs.length);
  const connected = graph.addresses.filter((a) => rows.has(a.address));
  connected.sort((a, b) => mean(rows.get(a.address)) - mean(rows.get(b.address)) || a.address.localeCompare(b.address));
  const addresses = connected.slice(0, MAX_ADDRESSES).map((a) => ({ address: a.address, asn: a.asn }));
  const kept = new Set(addresses.map((a) => a.address));
  const asnRows = new Map<string, number[]>();
  addresses.forEach((a, i) => asnRows.set(asnLabel(a.asn), [...(asnRows.get(asnLabel(a.asn)) ?? []), i]));
  const asns = [...asnRows.keys()].sort((a, b) => mean(asnRows.get(a)) - mean(asnRows.get(b)));
  return {
    names,
    addresses,
    asns,
    edges: edges.filter((e) => kept.has(e.address)),
    omitted: { names: graph.domains.length - names.length, addresses: graph.addresses.length - addresses.length },
  };
}

/** The graph as an SVG figure; names link to their domain page. */
export function networkGraph(graph: NetworkGraph): HTMLElement {
  const l = layout(graph);
  const rows = Math.max(l.names.length, l.addresses.length, l.asns.length, 1);
  const height = rows * ROW + 24;
  // Spread the shorter columns over the full height.
  const yOf = (i: number, n: number) => 16 + (n <= 1 ? (rows - 1) * ROW * 0.5 : (i * (rows - 1) * ROW) / (n - 1));
  const nameY = new Map(l.names.map((n, i) => [n, yOf(i, l.names.length)]));
  const addrY = new Map(l.addresses.map((a, i) => [a.address, yOf(i, l.addresses.length)]));
  const asnY = new Map(l.asns.map((a, i) => [a, yOf(i, l.asns.length)]));

  const edges = s(
    'g',
    { class: 'edges' },
    l.edges.map((e) => s('line', { x1: X_NAME, y1: nameY.get(e.domain)!, x2: X_ADDR, y2: addrY.get(e.address)! })),
    l.addresses.map((a) => s('line', { class: 'asn-edge', x1: X_ADDR + 118, y1: addrY.get(a.address)!, x2: X_ASN, y2: asnY.get(asnLabel(a.asn))! })),
  );
  const names = l.names.map((n) => {
    const y = nameY.get(n)!;
    return s('a', { href: domainHref(n), class: 'node node-name' }, s('circle', { cx: X_NAME, cy: y, r: 4 }), s('text', { x: X_NAME - 8, y: y + 4, 'text-anchor': 'end' }, n.length > 34 ? `${n.slice(0, 33)}…` : n), s('title', null, n));
  });
  const addresses = l.addresses.map((a) => {
    const y = addrY.get(a.address)!;
    return s('g', { class: 'node node-address' }, s('circle', { cx: X_ADDR, cy: y, r: 3.5 }), s('text', { x: X_ADDR + 7, y: y + 4 }, a.address.length > 18 ? `${a.address.slice(0, 17)}…` : a.address), s('title', null, `${a.address} ${asnLabel(a.asn)}`));
  });
  const asns = l.asns.map((a) => {
    const y = asnY.get(a)!;
    return s('g', { class: 'node node-asn' }, s('rect', { x: X_ASN - 4, y: y - 4, width: 8, height: 8 }), s('text', { x: X_ASN + 8, y: y + 4 }, a));
  });
  const note =
    l.omitted.names + l.omitted.addresses > 0 ? h('p', { class: 'note' }, `Drawing ${l.names.length} names and ${l.addresses.length} addresses; ${l.omitted.names} names and ${l.omitted.addresses} addresses left out (see the tables).`) : null;
  return h(
    'figure',
    { class: 'graph' },
    h('figcaption', null, `${l.names.length} names → ${l.addresses.length} addresses → ${l.asns.length} ASNs`),
    note,
    h('div', { class: 'graph-scroll' }, s('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': `Network ${graph.id}: names, addresses and ASNs` }, edges, names, addresses, asns)),
  );
}
