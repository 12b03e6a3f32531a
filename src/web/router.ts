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

/** '#/flagged?q=x' from a view and its query (empty values left out). */
export function hashOf(view: string, query: Record<string, string | number | null | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return `#/${view}${text === '' ? '' : `?${text}`}`;
}
