/** What every API route shares: the store it needs (503 without one), the wall clock, the flagged set's rule. */
import type { ManagedLists, ServeContext } from '../../service.js';
import type { AsyncStore, Store } from '../../../store/store.js';

/** Thrown when a route needs what the daemon does not run (no store, no managed lists); answered 503. */
export class Unavailable extends Error {
  override name = 'Unavailable';
}

export function needStore(context: ServeContext): Store {
  if (context.store === null) throw new Unavailable('no store is open: run fluxhound serve with --store');
  return context.store;
}

/** What the API reads, async whatever the backend (the local store's async face, or the cluster's store): 503 without one. */
export function needReader(context: ServeContext): AsyncStore {
  const reader = context.reader ?? null;
  if (reader === null) throw new Unavailable('no store is open: run fluxhound serve with --store (or with a cluster)');
  return reader;
}

export function needLists(context: ServeContext): ManagedLists {
  if (context.lists === null) throw new Unavailable('the allow and deny lists are not managed: run fluxhound serve with --store');
  return context.lists;
}

/** Wall-clock seconds. */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

