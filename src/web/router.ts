/**
 * Hash routing: '#/flagged?q=x' → the flagged view with its filters. The
 * hash never reaches the server, so the listener serves one document and
 * every view is a bookmarkable address.
 */

export interface Route {
  /** The first path segment ('' for the overview). */
  view: string;
  /** The remaining segments, percent-decoded ('#/domain/a%2Fb' → ['a/b']). */
  args: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const q = text.indexOf('?');
  const path = q === -1 ? text : text.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : text.slice(q + 1));
  const segments = path.split('/').filter((p) => p !== '');
  const decode = (p: string) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  };
  return { view: decode(segments[0] ?? ''), args: segments.slice(1).map(decode), query };
}

/** A query string from the set values: qs({ q: 'x', offset: 0 }) → '?q=x&offset=0' ('' when none is set). */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** '#/flagged?q=x' from a view and its query (empty values left out). */
export function hashOf(view: string, query: Record<string, string | number | null | undefined> = {}): string {
  return `#/${view}${qs(query)}`;
}

/** The named values of a route's query, '' where absent: paramsOf(q, ['q', 'flux']) → { q: 'x', flux: '' }. */
export function paramsOf<K extends string>(query: URLSearchParams, keys: readonly K[]): Record<K, string> {
  return Object.fromEntries(keys.map((k) => [k, query.get(k) ?? ''])) as Record<K, string>;
}
