/**
 * The `lists` service of `fluxhound serve`: the operator's allow and deny
 * lists (ManagedLists, context.lists), kept in the store and applied live.
 * An allow entry joins the daemon's allowlist (LiveAllowlist: config, files
 * and these) and the flagged names it allows leave the flagged set at once;
 * a deny entry puts a policy verdict (Verdict.listed) in the flagged set, so
 * the forwarder, the RPZ file and server and the block page block it on the
 * path every flagged name takes. Changes made by another process on the
 * same store (`fluxhound allow add`), or with a cluster by any node's console
 * or `fluxhound allow --cluster`, are picked up by polling the lists version
 * every 500 ms (the lists live where context.reader reads: the store, or the
 * cluster).
 */
import { liveAllowlist, type LiveAllowlist } from '../../act/rpz/allowlist.js';
import { blockedZoneOf } from '../../detect/registered-domain.js';
import type { AuditEntry, ListChange, ListEntry, ListName } from '../../model/query-log.js';
import { isActionable, type Verdict } from '../../model/verdict.js';
import type { ManagedLists, ServeContext, Service, ServiceFactory } from '../service.js';
import { checkChange, denyVerdict, listName, ListRefusal, type RefusalReason } from './entry.js';
import { listsMetrics } from './metrics.js';
import { MemoryListSource, readerSource, type ListSource } from './source.js';

/** How often the store's lists version is read, milliseconds. */
export const POLL_MS = 500;
/** Entries applied per list; beyond, adds are refused (and a store holding more is applied up to this). */
export const MAX_ENTRIES = 100_000;
/** Allowlisted flagged names remembered, so removing their allow entry brings them back at once. */
export const MAX_HELD_BACK = 10_000;

/** Flags or config that make the daemon act on, serve or keep the flagged set: then the lists apply. */
const ACTING_FLAGS = ['dns', 'rpzFile', 'rpzServer', 'ipBlocklist', 'blockPage', 'http'] as const;

export const listsService: ServiceFactory = {
  name: 'lists',
  addOptions() {
    // No flags: on whenever the daemon blocks, serves or stores (see README.md).
  },
  create(flags, context) {
    const acting =
      ACTING_FLAGS.some((f) => typeof flags[f] === 'string') ||
      typeof flags.store === 'string' ||
      context.config.serve.dns.listen !== null ||
      context.config.serve.http.listen !== null;
    return acting ? new ListsService(context) : null;
  },
};

export class ListsService implements Service, ManagedLists {
  readonly name = 'lists';
  private source: ListSource = new MemoryListSource();
  private readonly allow = new Map<string, ListEntry>();
  private readonly deny = new Map<string, ListEntry>();
  /** Deny entry name → its policy verdict (one object per entry, so re-applying it changes nothing). */
  private readonly denyVerdicts = new Map<string, Verdict>();
  /** Flagged domains the allowlist keeps out (oldest first), to bring back when an allow entry goes. */
  private readonly heldBack = new Set<string>();
  private version = -1;
  private pollError: string | null = null;
  private poller: NodeJS.Timeout | null = null;
  /** A poll in flight (the next waits for it), and the reloads in order (never two applying at once). */
  private polling = false;
  private reloads: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private readonly live: LiveAllowlist;
  readonly stats = { applied: new Map<string, number>(), pollErrors: 0, refused: new Map<RefusalReason, number>(), heldBackDropped: 0, skipped: 0 };

  constructor(private readonly context: ServeContext) {
    this.live = liveAllowlist(context.config);
    listsMetrics(context.registry, {
      entries: () => [
        [{ list: 'allow' }, this.allow.size],
        [{ list: 'deny' }, this.deny.size],
      ],
      applied: () => [...this.stats.applied].map(([key, n]) => [{ list: key.split('.')[0]!, op: key.split('.')[1]! }, n] as const),
      pollErrors: () => this.stats.pollErrors,
      refused: () => [...this.stats.refused].map(([reason, n]) => [{ reason }, n] as const),
      heldBackDropped: () => this.stats.heldBackDropped,
      skipped: () => this.stats.skipped,
    });
  }

  /** Where the lists live: 'store' or 'memory'. */
  get kind(): string {
    return this.source.kind;
  }

  async start(): Promise<void> {
    const { context } = this;
    const reader = context.reader ?? null;
    if (reader !== null) this.source = readerSource(reader);
    this.unsubscribe = context.onVerdict?.((v) => this.noteVerdict(v)) ?? null;
    // A store that cannot be read at start is a start failure (one line), not a silent empty list.
    await this.reload();
    if (reader !== null) {
      this.poller = setInterval(() => void this.poll(), POLL_MS);
      this.poller.unref();
    }
    context.lists = this;
    context.log.info(
      { service: this.name, source: this.source.kind, allow: this.allow.size, deny: this.deny.size },
      reader === null ? 'lists: no store; allow and deny entries live in memory until exit' : `lists: ${this.allow.size} allow and ${this.deny.size} deny entries from the ${this.source.kind}`,
    );
  }

  async stop(): Promise<void> {
    if (this.poller !== null) clearInterval(this.poller);
    this.poller = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.context.lists === this) this.context.lists = null;
  }

  entries(list: ListName): ListEntry[] {
    return [...(list === 'allow' ? this.allow : this.deny).values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async change(requested: ListChange): Promise<boolean> {
    let change: ListChange;
    try {
      change = checkChange(requested);
      const held = change.list === 'allow' ? this.allow : this.deny;
      if (change.op === 'add' && !held.has(change.name) && held.size >= MAX_ENTRIES) {
        throw new ListRefusal('full', `${change.list}: the list holds ${MAX_ENTRIES} entries already`);
      }
    } catch (err) {
      if (err instanceof ListRefusal) this.stats.refused.set(err.reason, (this.stats.refused.get(err.reason) ?? 0) + 1);
      throw err;
    }
    const changed = await this.source.change(change);
    await this.reload();
    return changed;
  }

  audit(since: number, limit: number): Promise<AuditEntry[]> {
    return this.source.audit(since, limit);
  }

  /** Changes made elsewhere cannot be picked up: the last poll failed (GET /health says so). */
  health(): string | null {
    return this.pollError === null ? null : `cannot read the lists from the ${this.source.kind}, changes made elsewhere are not applied: ${this.pollError}`;
  }

  /** Reads the version; when another process (or node) changed the lists, applies them. Errors are counted and logged, the lists in force stay. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      if ((await this.source.version()) !== this.version) await this.reload();
      this.pollError = null;
    } catch (err) {
      this.pollError = (err as Error).message.split('\n')[0] ?? '';
      this.stats.pollErrors++;
      if (this.stats.pollErrors === 1 || this.stats.pollErrors % 100 === 0) {
        this.context.log.error({ service: this.name, errors: this.stats.pollErrors }, `lists: cannot read the ${this.source.kind}: ${(err as Error).message}`);
      }
    } finally {
      this.polling = false;
    }
  }

  /** Reads both lists from the source and applies the difference to the live allowlist and the flagged set; one reload at a time, in order. */
  private reload(): Promise<void> {
    const next = this.reloads.then(async () => {
      const version = await this.source.version();
      const [allow, deny] = await Promise.all([this.source.entries('allow'), this.source.entries('deny')]);
      this.version = version;
      this.apply(this.readList('allow', allow), this.readList('deny', deny));
    });
    // A failed reload rejects to its caller; the next one still runs.
    this.reloads = next.catch(() => undefined);
    return next;
  }

  private readList(list: ListName, raws: readonly ListEntry[]): Map<string, ListEntry> {
    const out = new Map<string, ListEntry>();
    for (const raw of raws) {
      // Another process (or node) wrote the store: its names pass the same rule as a change made here.
      let entry: ListEntry;
      try {
        entry = { list, name: listName(raw.name, list, false), comment: String(raw.comment), by: String(raw.by), at: Number(raw.at) };
      } catch (err) {
        this.skip(`${list} entry ${JSON.stringify(String(raw.name).slice(0, 80))} from the ${this.source.kind} skipped: ${(err as Error).message}`);
        continue;
      }
      if (out.size >= MAX_ENTRIES) {
        this.skip(`${list}: over ${MAX_ENTRIES} entries; the rest are not applied`);
        break;
      }
      out.set(entry.name, entry);
    }
    return out;
  }

  private apply(allow: Map<string, ListEntry>, deny: Map<string, ListEntry>): void {
    const removedAllow = [...this.allow.keys()].filter((name) => !allow.has(name));
    const addedAllow = [...allow.keys()].filter((name) => !this.allow.has(name));
    const removedDeny = [...this.deny.keys()].filter((name) => !deny.has(name));
    const changedDeny = [...deny.values()].filter((e) => !sameEntry(this.deny.get(e.name), e));
    const changedAllow = [...allow.values()].filter((e) => this.allow.has(e.name) && !sameEntry(this.allow.get(e.name), e));
    replace(this.allow, allow);
    replace(this.deny, deny);
    this.count('allow', 'add', addedAllow.length + changedAllow.length);
    this.count('allow', 'remove', removedAllow.length);
    this.count('deny', 'add', changedDeny.length);
    this.count('deny', 'remove', removedDeny.length);
    const { flagged } = this.context;

    if (addedAllow.length + removedAllow.length > 0) {
      this.live.setManaged([...allow.keys()]);
      // Names now allowed leave the flagged set, remembered so an allow entry's removal brings them back.
      for (const v of [...flagged.entries()]) {
        if (!this.isAllowedVerdict(v)) continue;
        if (v.listed === undefined) this.holdBack(v.domain);
        flagged.remove(v.domain);
      }
    }
    for (const name of removedDeny) {
      this.denyVerdicts.delete(name);
      if (flagged.get(name)?.listed !== undefined) flagged.remove(name);
      // Still flagged by the detector: it comes back as its detection.
      this.restoreDetected(name);
    }
    for (const entry of changedDeny) {
      const v = denyVerdict(entry);
      this.denyVerdicts.set(entry.name, v);
      flagged.upsert(v);
    }
    if (removedAllow.length > 0) {
      for (const name of removedAllow) this.restoreDetected(name);
      // Only names the removed entries covered can come back (a string test each; re-scoring is what costs).
      for (const domain of [...this.heldBack]) if (removedAllow.some((name) => atOrBelow(domain, name))) this.restoreDetected(domain);
      // Deny entries the allow entry overrode block again.
      for (const v of this.denyVerdicts.values()) flagged.upsert(v);
    }
    // The RPZ writes managed allow entries as PASSTHRU: a new serial even when no flagged name changed.
    if (addedAllow.length + removedAllow.length > 0) flagged.policyChanged();
  }

  /** A name the detector (or, with a cluster, the cluster) still holds as flagged, and no longer allowed, enters the flagged set again. */
  private restoreDetected(domain: string): void {
    const own = this.context.detector.current(domain);
    const v = own !== null && isActionable(own) ? own : (this.context.followed?.(domain) ?? own);
    // No longer flagged (or no longer tracked): nothing to bring back.
    if (v === null || !isActionable(v)) this.heldBack.delete(domain);
    // Still allowed by another entry (or the config): remembered until that goes too.
    else if (!this.isAllowedVerdict(v)) {
      this.heldBack.delete(domain);
      this.context.flagged.upsert(v);
    }
  }

  /** Every verdict the detector reports: a flagged one the allowlist keeps out is remembered. */
  private noteVerdict(v: Verdict): void {
    if (this.allow.size === 0 || !isActionable(v) || !this.isAllowedVerdict(v)) return;
    this.holdBack(v.domain);
  }

  private holdBack(domain: string): void {
    this.heldBack.delete(domain);
    this.heldBack.add(domain);
    if (this.heldBack.size > MAX_HELD_BACK) {
      this.heldBack.delete(this.heldBack.values().next().value as string);
      this.stats.heldBackDropped++;
    }
  }

  private isAllowedVerdict(v: { domain: string; registered_domain: string; zone?: string | null }): boolean {
    const allowed = this.live.isAllowed;
    return allowed(v.domain) || allowed(blockedZoneOf(v)) || (v.registered_domain !== '' && allowed(v.registered_domain));
  }

  /** An entry of the source not applied: counted and logged (the first, then every hundredth). */
  private skip(message: string): void {
    this.stats.skipped++;
    if (this.stats.skipped === 1 || this.stats.skipped % 100 === 0) this.context.log.warn({ service: this.name, skipped: this.stats.skipped }, message);
  }

  private count(list: ListName, op: 'add' | 'remove', n: number): void {
    if (n === 0) return;
    const key = `${list}.${op}`;
    this.stats.applied.set(key, (this.stats.applied.get(key) ?? 0) + n);
  }
}

function atOrBelow(name: string, zone: string): boolean {
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46);
}

function sameEntry(a: ListEntry | undefined, b: ListEntry): boolean {
  return a !== undefined && a.comment === b.comment && a.by === b.by && a.at === b.at;
}

function replace<K, V>(target: Map<K, V>, source: Map<K, V>): void {
  target.clear();
  for (const [k, v] of source) target.set(k, v);
}
