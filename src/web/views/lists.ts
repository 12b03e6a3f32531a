/** Allowlist and blocklist management, and the audit trail of every change. */
import { api, isAdmin, qs } from '../api.js';
import { time } from '../format.js';
import { h } from '../h.js';
import { LIST_PATH, listActionForm, type ListKind } from '../list-actions.js';
import type { Route } from '../router.js';
import { domainLink, page, table } from '../ui.js';
import type { AuditEntry, ListEntry, Lists } from '../types.js';

function rerender(): void {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export async function listView(list: ListKind): Promise<HTMLElement> {
  const { items, static: fixed } = await api<Lists>(LIST_PATH[list]);
  const title = list === 'allow' ? 'Allowlist' : 'Blocklist';
  const explain =
    list === 'allow'
      ? 'Names never blocked, with everything under them. Changes apply to the forwarder and the RPZ within a second.'
      : 'Names always blocked, with everything under them, whatever the detector says.';
  const admin = isAdmin();
  return page(
    title,
    h('p', null, explain),
    admin ? h('div', { class: 'add' }, h('h2', null, 'Add'), listActionForm(list, 'add', null, rerender)) : h('p', { class: 'note' }, 'Read-only token: changes need an admin token.'),
    h('h2', null, `Entries (${items.length})`),
    table<ListEntry>(items, [
      { title: 'Name', cell: (e) => domainLink(e.name) },
      { title: 'Comment', cell: (e) => e.comment },
      { title: 'By', cell: (e) => e.by },
      { title: 'When', cell: (e) => time(e.at) },
      ...(admin ? [{ title: 'Remove', cell: (e: ListEntry) => listActionForm(list, 'remove', e.name, rerender) }] : []),
    ], 'No entries made here yet.'),
    h('h2', null, `From the configuration (${fixed.length}, read-only)`),
    fixed.length === 0 ? h('p', { class: 'empty' }, 'None.') : h('ul', { class: 'names' }, fixed.map((n) => h('li', null, h('code', null, n)))),
  );
}

export async function auditView(route: Route): Promise<HTMLElement> {
  const since = route.query.get('since') ?? '';
  const { items } = await api<{ items: AuditEntry[] }>(`/api/v1/audit${qs({ since, limit: 500 })}`);
  return page(
    'Audit trail',
    h('p', null, 'Every change to the allowlist and blocklist: who, when, what and why.'),
    table(items, [
      { title: 'When', cell: (e) => time(e.at) },
      { title: 'Who', cell: (e) => e.by },
      { title: 'Action', cell: (e) => e.action },
      { title: 'Name', cell: (e) => domainLink(e.target) },
      { title: 'Comment', cell: (e) => e.comment },
    ], 'No changes yet.'),
  );
}
