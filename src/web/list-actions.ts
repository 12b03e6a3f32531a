/**
 * The admin's list changes: add a name to the allowlist or the blocklist, or
 * remove it, always with a comment (the audit trail keeps who, when and
 * why). Shown only to admin tokens; the API answers 403 to anyone else.
 */
import { api, isAdmin, nameSegment } from './api.js';
import { h } from './h.js';
import { message } from './ui.js';
import type { ListEntry } from './types.js';

export type ListKind = 'allow' | 'deny';

export const LIST_PATH: Record<ListKind, string> = { allow: '/api/v1/allowlist', deny: '/api/v1/blocklist' };
const LIST_WORD: Record<ListKind, string> = { allow: 'allowlist', deny: 'blocklist' };

export function changeList(list: ListKind, op: 'add' | 'remove', name: string, comment: string): Promise<ListEntry | { removed: boolean }> {
  return op === 'add' ? api<ListEntry>(LIST_PATH[list], 'POST', { name, comment }) : api<{ removed: boolean }>(`${LIST_PATH[list]}/${nameSegment(name)}`, 'DELETE', { comment });
}

/**
 * A one-line form: a comment box and a button. `name` null asks for the name
 * too (the lists page). Calls `done` after the change is made.
 */
export function listActionForm(list: ListKind, op: 'add' | 'remove', name: string | null, done: () => void): HTMLElement | null {
  if (!isAdmin()) return null;
  const verb = op === 'add' ? `Add to ${LIST_WORD[list]}` : `Remove from ${LIST_WORD[list]}`;
  const nameInput = name === null ? h('input', { type: 'text', name: 'name', required: true, placeholder: 'example.com', 'aria-label': 'Name', spellcheck: 'false' }) : null;
  const comment = h('input', { type: 'text', name: 'comment', required: true, placeholder: 'Why (kept in the audit trail)', 'aria-label': `Comment for: ${verb}`, maxlength: 500 });
  const status = h('span', { class: 'action-status', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: op === 'add' ? `btn-${list}` : 'btn-remove', 'data-action': `${list}.${op}` }, verb);
  const form = h(
    'form',
    {
      class: 'list-action',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const target = name ?? nameInput!.value.trim();
        button.disabled = true;
        changeList(list, op, target, comment.value.trim()).then(
          () => {
            status.replaceChildren(message('Done.', 'ok'));
            done();
          },
          (err: unknown) => {
            button.disabled = false;
            status.replaceChildren(message(err instanceof Error ? err.message : String(err), 'error'));
          },
        );
      },
    },
    nameInput,
    comment,
    button,
    status,
  );
  return form;
}
