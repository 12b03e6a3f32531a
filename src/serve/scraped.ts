/**
 * Families whose values live in the service (plain numbers on its hot path,
 * its tests read them) and are read when /metrics is scraped: the one way
 * every service declares such a counter or gauge in the daemon's registry.
 * A second declaration of the same name (a second service in one registry,
 * as tests build) replaces the first.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * `declare` run once per registry; later calls with the same registry get
 * the same families (a service built twice in one daemon, or several
 * listeners sharing one set of families).
 */
export function oncePerRegistry<T>(declare: (registry: Registry) => T): (registry: Registry) => T {
  const declared = new WeakMap<Registry, T>();
  return (registry) => {
    let families = declared.get(registry);
    if (families === undefined) {
      families = declare(registry);
      declared.set(registry, families);
    }
    return families;
  };
}

/** One value, or one per label set. */
export type Reading = number | readonly (readonly [Record<string, string>, number])[];

/** A counter that reports the service's own running total at scrape time. */
export function scrapedCounter(registry: Registry, name: string, help: string, read: () => Reading, labelNames: readonly string[] = []): void {
  registry.removeSingleMetric(name);
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      put(read(), (labels, n) => (labels === null ? this.inc(n) : this.inc(labels, n)));
    },
  });
}

/** A gauge set from the service at scrape time. */
export function scrapedGauge(registry: Registry, name: string, help: string, read: () => Reading, labelNames: readonly string[] = []): void {
  registry.removeSingleMetric(name);
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      put(read(), (labels, n) => (labels === null ? this.set(n) : this.set(labels, n)));
    },
  });
}

/** A reading handed to a metric's own setter: the one value (labels null), or each labelled value. */
function put(value: Reading, set: (labels: Record<string, string> | null, n: number) => void): void {
  if (typeof value === 'number') set(null, value);
  else for (const [labels, n] of value) set(labels, n);
}
