/**
 * A map that knows which key was used least recently: a Map for lookup and
 * a linked list for order. A JavaScript Map alone (delete and set again to
 * move a key to the end, keys().next() for the oldest) slows down under
 * steady eviction: the deleted slots at the front are skipped on every
 * oldest() until V8 compacts the table, and the analytics evict on most
 * flows once a table is full.
 */
interface Node<V> {
  key: string;
  value: V;
  older: Node<V> | null;
  newer: Node<V> | null;
}

export class Recency<V> {
  private readonly nodes = new Map<string, Node<V>>();
  private oldestNode: Node<V> | null = null;
  private newestNode: Node<V> | null = null;

  get size(): number {
    return this.nodes.size;
  }

  /** The value, without making it more recent. */
  peek(key: string): V | undefined {
    return this.nodes.get(key)?.value;
  }

  /** The value, made the most recent. */
  use(key: string): V | undefined {
    const node = this.nodes.get(key);
    if (node === undefined) return undefined;
    if (node !== this.newestNode) {
      this.unlink(node);
      this.link(node);
    }
    return node.value;
  }

  /** Add a key not present, as the most recent. */
  add(key: string, value: V): void {
    const node: Node<V> = { key, value, older: null, newer: null };
    this.nodes.set(key, node);
    this.link(node);
  }

  oldest(): V | undefined {
    return this.oldestNode?.value;
  }

  /** Remove and return the least recently used value. */
  shift(): V | undefined {
    const node = this.oldestNode;
    if (node === null) return undefined;
    this.unlink(node);
    this.nodes.delete(node.key);
    return node.value;
  }

  delete(key: string): boolean {
    const node = this.nodes.get(key);
    if (node === undefined) return false;
    this.unlink(node);
    this.nodes.delete(key);
    return true;
  }

  clear(): void {
    this.nodes.clear();
    this.oldestNode = this.newestNode = null;
  }

  /** Oldest first. Deleting the current value while iterating is allowed. */
  *values(): IterableIterator<V> {
    let node = this.oldestNode;
    while (node !== null) {
      const next = node.newer;
      yield node.value;
      node = next;
    }
  }

  private link(node: Node<V>): void {
    node.older = this.newestNode;
    node.newer = null;
    if (this.newestNode !== null) this.newestNode.newer = node;
    else this.oldestNode = node;
    this.newestNode = node;
  }

  private unlink(node: Node<V>): void {
    if (node.older !== null) node.older.newer = node.newer;
    else this.oldestNode = node.newer;
    if (node.newer !== null) node.newer.older = node.older;
    else this.newestNode = node.older;
    node.older = node.newer = null;
  }
}
