/**
 * Templates of NetFlow v9 (RFC 3954) and IPFIX (RFC 7011), kept per exporter,
 * observation domain (v9 source id) and template id, with a lifetime and a cap
 * so that an exporter that floods templates cannot grow memory without bound.
 */

/** One field of a template: element id, enterprise number (0 = IANA), length (65535 = variable, IPFIX). */
export interface TemplateField {
  id: number;
  enterprise: number;
  length: number;
}

export interface Template {
  fields: TemplateField[];
  /** Options templates: how many leading fields are scope fields. 0 for data templates. */
  scopeCount: number;
  /** Bytes of one record, variable-length fields counted as their minimum (1). */
  minLength: number;
  /** Seconds (the cache's clock) when it was last announced. */
  seen: number;
}

export interface TemplateCacheOptions {
  /** Seconds a template stays usable after its last announcement (default 1800, like nfcapd). */
  lifetimeSeconds?: number;
  /** Most templates kept over all exporters (default 10,000); the oldest announced goes first. */
  maxTemplates?: number;
}

export const VARIABLE_LENGTH = 65535;

export class TemplateCache {
  readonly lifetimeSeconds: number;
  readonly maxTemplates: number;
  private readonly templates = new Map<string, Template>();
  /** Sampling rate announced in options data, per exporter/domain. */
  private readonly sampling = new Map<string, number>();
  private readonly systemInit = new Map<string, number>();

  constructor(options: TemplateCacheOptions = {}) {
    this.lifetimeSeconds = options.lifetimeSeconds ?? 1800;
    this.maxTemplates = Math.max(1, options.maxTemplates ?? 10_000);
  }

  get size(): number {
    return this.templates.size;
  }

  set(domainKey: string, id: number, template: Template): void {
    const key = `${domainKey}#${id}`;
    // Re-insert so that Map order stays oldest-announced first.
    this.templates.delete(key);
    this.templates.set(key, template);
    if (this.templates.size > this.maxTemplates) {
      const oldest = this.templates.keys().next().value;
      if (oldest !== undefined) this.templates.delete(oldest);
    }
  }

  withdraw(domainKey: string, id: number): void {
    this.templates.delete(`${domainKey}#${id}`);
  }

  /** The template if it was announced within its lifetime before `now`. */
  get(domainKey: string, id: number, now: number): Template | undefined {
    const key = `${domainKey}#${id}`;
    const t = this.templates.get(key);
    if (t === undefined) return undefined;
    if (now - t.seen > this.lifetimeSeconds) {
      this.templates.delete(key);
      return undefined;
    }
    return t;
  }

  /**
   * Templates within their lifetime at `now`, per exporter/domain (one pass
   * over the cache: for a scrape, not a hot path).
   */
  liveByDomain(now: number): Map<string, number> {
    const live = new Map<string, number>();
    for (const [key, t] of this.templates) {
      if (now - t.seen > this.lifetimeSeconds) continue;
      const domainKey = key.slice(0, key.lastIndexOf('#'));
      live.set(domainKey, (live.get(domainKey) ?? 0) + 1);
    }
    return live;
  }

  setSampling(domainKey: string, rate: number): void {
    if (!this.sampling.has(domainKey) && this.sampling.size >= this.maxTemplates) {
      const oldest = this.sampling.keys().next().value;
      if (oldest !== undefined) this.sampling.delete(oldest);
    }
    this.sampling.set(domainKey, rate);
  }

  samplingOf(domainKey: string): number {
    return this.sampling.get(domainKey) ?? 1;
  }

  /** IPFIX: epoch seconds of the exporter's boot, announced in options data (IE 160). */
  setSystemInit(domainKey: string, seconds: number): void {
    if (!this.systemInit.has(domainKey) && this.systemInit.size >= this.maxTemplates) {
      const oldest = this.systemInit.keys().next().value;
      if (oldest !== undefined) this.systemInit.delete(oldest);
    }
    this.systemInit.set(domainKey, seconds);
  }

  systemInitOf(domainKey: string): number {
    return this.systemInit.get(domainKey) ?? -1;
  }
}
