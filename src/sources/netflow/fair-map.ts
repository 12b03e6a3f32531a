/**
 * A map with a cap over all exporters where, beyond the cap, the exporter
 * holding the most entries loses its oldest: one exporter announcing
 * thousands of templates or observation domains (a bug, or a hostile host
 * inside the collector's ACL) pushes out its own entries, never another
 * exporter's (the connection governor's displacement rule, for templates).
 * Eviction walks the exporters once: they are few (serve.flows.maxExporters).
 */
export class FairMap<V> {
  private readonly values = new Map<string, V>();
  /** Each exporter's keys, oldest set first. */
  private readonly byExporter = new Map<string, Set<string>>();

  constructor(
    readonly max: number,
    /** The exporter a key belongs to. */
    private readonly exporterOf: (key: string) => string,
  ) {}

  get size(): number {
    return this.values.size;
  }

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** Sets (and makes newest) the key's value; beyond the cap the heaviest exporter's oldest goes. */
  set(key: string, value: V): void {
    this.delete(key);
    this.values.set(key, value);
    const exporter = this.exporterOf(key);
    const own = this.byExporter.get(exporter);
    if (own === undefined) this.byExporter.set(exporter, new Set([key]));
    else own.add(key);
    if (this.values.size > this.max) this.evict();
  }

  delete(key: string): boolean {
    if (!this.values.delete(key)) return false;
    const exporter = this.exporterOf(key);
    const own = this.byExporter.get(exporter);
    own?.delete(key);
    if (own?.size === 0) this.byExporter.delete(exporter);
    return true;
  }

  entries(): IterableIterator<[string, V]> {
    return this.values.entries();
  }

  private evict(): void {
    let heaviest: Set<string> | null = null;
    for (const own of this.byExporter.values()) if (heaviest === null || own.size > heaviest.size) heaviest = own;
    const oldest = heaviest?.values().next().value;
    if (oldest !== undefined) this.delete(oldest);
  }
}

/** The exporter of a domain key 'exporter/domain' (a datagram's source, or a file's). */
export function exporterOfDomain(domainKey: string): string {
  const slash = domainKey.lastIndexOf('/');
  return slash < 0 ? domainKey : domainKey.slice(0, slash);
}
