/** Login: the operator pastes a token (TOKEN ROLE NAME in the daemon's --api-tokens file). */
import { ApiError, logout, setToken, whoami } from '../api.js';
import { h } from '../h.js';
import { field, message, page } from '../ui.js';

export function loginView(): HTMLElement {
  logout();
  const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void (async () => {
          setToken(input.value.trim());
          try {
            const me = await whoami();
            status.replaceChildren(message(`Signed in as ${me.name} (${me.role}).`, 'ok'));
            location.hash = '#/';
          } catch (err) {
            logout();
            const text = err instanceof ApiError && err.status === 401 ? 'That token was refused.' : `Cannot sign in: ${String(err instanceof Error ? err.message : err)}`;
            status.replaceChildren(message(text, 'error'));
          }
        })();
      },
    },
    field('API token', input),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  return page('Sign in', h('p', null, 'Paste an API token. It stays in this tab only (sessionStorage) and is sent as a Bearer header.'), form);
}
