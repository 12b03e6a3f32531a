/**
 * The console's entry: the page shell (header, navigation, main), and the
 * render loop that turns the hash into a view. Every view is an async
 * function from the route to an element; a newer navigation wins over a
 * slower older one.
 */
import { ApiError, logout, token, whoami } from './api.js';
import { h } from './h.js';
import { parseHash, type Route } from './router.js';
import { message } from './ui.js';
import { domainView } from './views/domain.js';
import { flaggedView } from './views/flagged.js';
import { auditView, listView } from './views/lists.js';
import { loginView } from './views/login.js';
import { networksView, networkView } from './views/networks.js';
import { overviewView } from './views/overview.js';
import { querylogView } from './views/querylog.js';
import { exposuresView } from './views/exposures.js';
import { customersView, customerView } from './views/customers.js';

type View = (route: Route) => Promise<HTMLElement> | HTMLElement;

const VIEWS: Record<string, View> = {
  '': overviewView,
  flagged: flaggedView,
  domain: domainView,
  networks: networksView,
  network: networkView,
  querylog: querylogView,
  exposures: exposuresView,
  customers: customersView,
  customer: customerView,
  allowlist: () => listView('allow'),
  blocklist: () => listView('deny'),
  audit: auditView,
};

/** The navigation: [view, label]; a detail view lights its list ('domain' → flagged). */
const NAV: readonly [string, string][] = [
  ['', 'Overview'],
  ['flagged', 'Flagged'],
  ['networks', 'Networks'],
  ['querylog', 'Query log'],
  ['exposures', 'Exposures'],
  ['customers', 'Customers'],
  ['allowlist', 'Allowlist'],
  ['blocklist', 'Blocklist'],
  ['audit', 'Audit'],
];
const PARENT: Record<string, string> = { domain: 'flagged', network: 'networks', customer: 'customers' };

const main = h('main', { id: 'main', tabindex: '-1' });
const nav = h('nav', { class: 'site-nav', 'aria-label': 'Console' });
const who = h('div', { class: 'who' });
let generation = 0;
/** The hash of the view on screen; null before the first. */
let shownHash: string | null = null;

function shell(): void {
  const menu = h('button', { type: 'button', class: 'menu-toggle', 'aria-expanded': 'false', 'aria-controls': 'site-nav' }, 'Menu');
  nav.id = 'site-nav';
  menu.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    menu.setAttribute('aria-expanded', String(open));
  });
  document.body.replaceChildren(
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('header', { class: 'site-header' }, h('a', { class: 'brand', href: '#/' }, 'fluxhound'), menu, nav, who),
    main,
  );
  // The skip link targets an id, which a hash router would read as a route: move focus instead.
  document.querySelector('a.skip')?.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
}

function drawNav(current: string, signedIn: boolean): void {
  const active = PARENT[current] ?? current;
  nav.classList.remove('open');
  nav.replaceChildren(...(signedIn ? NAV.map(([view, label]) => h('a', { href: `#/${view}`, 'aria-current': view === active ? 'page' : null }, label)) : []));
}

async function drawWho(): Promise<void> {
  if (token() === null) {
    who.replaceChildren();
    return;
  }
  const me = await whoami();
  who.replaceChildren(
    h('span', { class: 'who-name' }, me.name),
    h('span', { class: `badge badge-role-${me.role}` }, me.role),
    h(
      'button',
      {
        type: 'button',
        class: 'link-button',
        onclick: () => {
          logout();
          location.hash = '#/login';
        },
      },
      'Sign out',
    ),
  );
}

async function render(): Promise<void> {
  const mine = ++generation;
  const route = parseHash(location.hash);
  if (route.view === 'login' || token() === null) {
    drawNav('login', false);
    who.replaceChildren();
    main.replaceChildren(loginView());
    if (route.view !== 'login') history.replaceState(null, '', '#/login');
    document.title = 'Sign in · fluxhound';
    shownHash = '#/login';
    return;
  }
  const view = VIEWS[route.view];
  drawNav(route.view, true);
  main.setAttribute('aria-busy', 'true');
  try {
    await drawWho();
    const element = view === undefined ? h('section', { class: 'page' }, h('h1', null, 'Not found'), h('p', null, 'No such view.')) : await view(route);
    if (mine !== generation) return;
    main.replaceChildren(element);
    // A new view takes the focus (keyboard and screen-reader users start at its content); a re-render of the same one leaves it.
    if (location.hash !== shownHash && shownHash !== null) main.focus({ preventScroll: true });
    shownHash = location.hash;
    const title = element.querySelector('h1')?.textContent ?? 'fluxhound';
    document.title = `${title} · fluxhound`;
  } catch (err) {
    if (mine !== generation) return;
    if (err instanceof ApiError && err.status === 401) return; // api.ts went back to login
    main.replaceChildren(h('section', { class: 'page' }, h('h1', null, 'Error'), message(err instanceof Error ? err.message : String(err), 'error')));
  } finally {
    if (mine === generation) {
      main.removeAttribute('aria-busy');
      // Which render is on screen: lets a test (or a script) wait for a navigation to finish.
      main.setAttribute('data-generation', String(mine));
    }
  }
}

shell();
window.addEventListener('hashchange', () => void render());
void render();
