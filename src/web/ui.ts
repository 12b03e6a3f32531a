/** Small building blocks every view shares: headings, tables, badges, pagers, messages. */
import { h, type Child } from './h.js';

/** The link to a route: link('#/domain/' + encodeURIComponent(name), name). */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href }, ...children);
}

export function domainHref(name: string): string {
  return `#/domain/${encodeURIComponent(name)}`;
}

export function domainLink(name: string): HTMLAnchorElement {
  return h('a', { href: domainHref(name), class: 'name' }, name);
}

/** The link to a flux network's view: networkLink('fn-1'). */
export function networkLink(id: string): HTMLAnchorElement {
  return link(`#/network/${encodeURIComponent(id)}`, id);
}

/** The link to a customer's view. */
export function customerLink(id: string): HTMLAnchorElement {
  return link(`#/customer/${encodeURIComponent(id)}`, id);
}

export function page(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'page' }, h('h1', null, title), ...children);
}

export function badge(text: string, kind: string): HTMLElement {
  return h('span', { class: `badge badge-${kind}` }, text);
}

export function verdictBadge(label: string | null): HTMLElement {
  return badge(label ?? 'none', label ?? 'none');
}

export interface Column<T> {
  title: string;
  cell: (row: T) => Child;
  /** CSS class of the cells ('num' right-aligns). */
  class?: string;
}

/** A table that scrolls sideways on a phone rather than overflowing the page. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty = 'Nothing to show.'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class ?? null }, c.title)))),
      h('tbody', null, rows.map((row) => h('tr', null, columns.map((c) => h('td', { class: c.class ?? null }, c.cell(row)))))),
    ),
  );
}

/** A definition list of label → value. */
export function facts(pairs: readonly [string, Child][]): HTMLElement {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

export function message(text: string, kind: 'error' | 'info' | 'ok' = 'info'): HTMLElement {
  return h('p', { class: `message message-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** A labelled input: field('Name', input). */
export function field(label: string, control: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', null, label), control);
}

export function card(title: string, value: Child, kind = ''): HTMLElement {
  return h('div', { class: `card ${kind}` }, h('div', { class: 'card-title' }, title), h('div', { class: 'card-value' }, value));
}

/** A view's filter form: submitting it hands its data to `submit` (which sets the hash) instead of leaving the page. */
export function filterForm(submit: (data: FormData) => void, ...children: Child[]): HTMLFormElement {
  const onsubmit = (event: Event) => {
    event.preventDefault();
    submit(new FormData(event.target as HTMLFormElement));
  };
  return h('form', { class: 'filters', onsubmit }, ...children);
}
