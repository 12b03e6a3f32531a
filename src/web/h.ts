/**
 * The one way the console builds DOM: createElement and text nodes. Data is
 * never parsed as markup (no innerHTML anywhere), so a hostile name such as
 * `<script>alert(1)</script>.evil.test` is shown as the characters it is.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Listener = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Listener>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(parent, c);
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    parent.appendChild(document.createTextNode(String(child)));
  }
}

function setAttributes(el: Element, attrs: Attrs | null | undefined): void {
  if (attrs === null || attrs === undefined) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'style' || key === 'innerHTML' || key.startsWith('on')) {
      // The CSP refuses inline style and handlers anyway; refuse them here first.
      throw new Error(`h: attribute ${key} is not allowed`);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/** An HTML element: h('a', { href: '#/flagged' }, 'Flagged'). Attributes named on* take a function (a listener). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  for (const child of children) append(el, child);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element, for the charts and the network graph. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  for (const child of children) append(el, child);
  return el;
}

/** A fragment of several children, for views that return more than one element. */
export function fragment(...children: Child[]): DocumentFragment {
  const f = document.createDocumentFragment();
  for (const child of children) append(f, child);
  return f;
}
