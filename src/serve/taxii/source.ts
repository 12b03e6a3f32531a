/**
 * What the TAXII service publishes: STIX objects with the time fluxhound
 * first published each version (TAXII's date_added). The service reads only
 * the StixSource seam. `findingsSource` is the findings collection: the
 * act/stix bundle of the live findings (serve/share), every object of it
 * (indicators, domain and address SCOs, an infrastructure per flux network,
 * relationships, the identity, the TLP marking), versioned as it changes.
 */
import { runSteps, sortSteps, type Steps } from '../../act/steps.js';
import type { StixObject, StixOptions } from '../../act/stix/bundle.js';
import { liveStixBundleSteps, type LiveFindings } from '../share/live.js';
import { REBUILD_SLICE_MS, runStepsYielding } from '../slices.js';
import { toRecord, type VersionRecord } from './query.js';

/** One version of one STIX object and when it was first published (ms since the epoch). */
export interface PublishedObject {
  object: Record<string, unknown>;
  added: number;
}

/** THE SEAM: the TAXII service reads its objects here and nowhere else. */
export interface StixSource {
  /** Every stored version of every object, in any order; each (id, version) at most once. */
  objects(): PublishedObject[];
  /** Brings the objects up to date without holding the event loop; the service awaits it before reading. */
  fresh?(): Promise<void>;
  /** The versions in page order, when the source keeps them so (query.ts pages them in O(log n + page)). */
  ordered?(): OrderedVersions;
}

/** One held version in a Publication's log. */
export interface LogEntry {
  record: VersionRecord;
  /** Dropped (past MAX_VERSIONS_PER_OBJECT or the publication's cap): skipped, removed at the next compaction. */
  dead: boolean;
  /** The object's live versions, oldest first (also version order: each is later than the one before). */
  versions: LogEntry[];
}

export interface OrderedVersions {
  /** Every version ordered by (date_added, id, version), dead ones among them, and past `horizon` a publication being committed. */
  readonly entries: readonly LogEntry[];
  /** date_added of the last publication committed whole: later entries are not yet published (not to be read). */
  readonly horizon: number;
  /** An object's published versions (up to `horizon`), oldest first; undefined when none is held. */
  versionsOf(id: string): readonly LogEntry[] | undefined;
}

/** Versions kept per object: older ones are dropped (bounded memory). */
export const MAX_VERSIONS_PER_OBJECT = 10;
/** Versions kept in all (about 1 KB each): past it, the objects published longest ago go whole. */
export const MAX_PUBLISHED_VERSIONS = 200_000;
/** A changed flagged set is republished on the next request at most this often. */
export const REBUILD_MIN_MS = 1000;
/** Without a change of the flagged set, verdicts still move (last seen, score): republished at most this often. */
export const REBUILD_QUIET_MS = 60_000;

interface History {
  /** The object's content as built, without `modified`: a rebuild that gives the same content is no new version. */
  content: string;
  /** `modified` of the last build (before any bump), to see a change of it alone. */
  builtModified: string | null;
  versions: LogEntry[];
}

/** A build's object that differs from what was last published: its new version, prepared in steps, held at the commit. */
interface Change {
  id: string;
  /** The object's history: the held one, or a new one the commit adds. */
  history: History;
  fresh: boolean;
  content: string;
  builtModified: string | null;
  entry: LogEntry;
}

/** Objects compared between two yields of a publication's steps. */
const OBJECTS_PER_STEP = 256;
/** Versions linked (or dropped) between two yields of a commit. */
const LINKS_PER_STEP = 1024;

/**
 * Keeps every published version of a changing set of STIX objects with its
 * date_added. A rebuild's object whose content or `modified` changed becomes a
 * new version added now; its `modified` is raised 1 ms past the last published
 * one when the builder's did not move (a version is identified by
 * `modified`, TAXII 2.1 §3.4.2), so two versions never share one. Objects the
 * build no longer holds (an expired name) keep their versions: what was
 * shared stays shared. `now` never goes back (a clock step backwards would
 * hide new versions from an added_after poller).
 *
 * The versions are also kept in one append-only log in page order (date_added,
 * id): every publication is strictly later than the one before and is appended
 * sorted by id, so a page is a binary search and a walk (query.ts pageOrdered),
 * not a sort of every version per request.
 */
export class Publication implements OrderedVersions {
  private readonly histories = new Map<string, History>();
  private log: LogEntry[] = [];
  private dead = 0;
  private versions = 0;
  private last = -Infinity;
  private publishing = false;

  constructor(private readonly maxVersions = MAX_PUBLISHED_VERSIONS) {}

  get size(): number {
    return this.versions;
  }

  get entries(): readonly LogEntry[] {
    return this.log;
  }

  get horizon(): number {
    return this.last;
  }

  versionsOf(id: string): readonly LogEntry[] | undefined {
    const versions = this.histories.get(id)?.versions.filter((e) => e.record.added <= this.last);
    return versions === undefined || versions.length === 0 ? undefined : versions;
  }

  /** Publishes a build at `now` (ms); returns the number of new versions. */
  publish(objects: readonly StixObject[], now: number): number {
    return runSteps(this.publishSteps(objects, now));
  }

  /**
   * publish as steps (act/steps.ts): the comparison with what was published
   * (a JSON text per object, most of the cost) yields; the new versions are
   * then committed at once, so a page served between two slices sees the
   * publication before or after, never half of it. One at a time.
   */
  *publishSteps(objects: readonly StixObject[], now: number): Steps<number> {
    if (this.publishing) throw new Error('taxii: a publication is already running');
    this.publishing = true;
    try {
      // Strictly later than every earlier publication: a `next` cursor handed out before never skips a new version.
      // Only a commit moves `last`, and publications run one at a time, so `at` is known now.
      const at = Math.max(now, this.last + 1);
      const changes: Change[] = [];
      for (let i = 0; i < objects.length; i++) {
        const change = this.changeOf(objects[i]!, at);
        if (change !== null) changes.push(change);
        if (i % OBJECTS_PER_STEP === OBJECTS_PER_STEP - 1) yield;
      }
      // The log's order within one date_added is the id's. A bundle comes sorted by (type, id), which is id order
      // (an id starts with its type and '--'); another source's order is sorted here, in steps.
      if (!sortedById(changes)) yield* sortSteps(changes, (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return yield* this.commit(changes, at);
    } finally {
      this.publishing = false;
    }
  }

  /** The new version of `object` at `at`, prepared (nothing held changes), or null when it is the one published. */
  private changeOf(object: StixObject, at: number): Change | null {
    const { modified, ...rest } = object;
    const content = JSON.stringify(rest);
    const builtModified = typeof modified === 'string' ? modified : null;
    const held = this.histories.get(object.id);
    if (held !== undefined && held.content === content && held.builtModified === builtModified) return null;
    const history = held ?? { content, builtModified, versions: [] };
    const previous = history.versions[history.versions.length - 1]?.record.object.modified;
    let published: Record<string, unknown> = object;
    if (builtModified !== null && typeof previous === 'string' && builtModified <= previous) {
      published = { ...object, modified: new Date(Date.parse(previous) + 1).toISOString() };
    }
    const entry: LogEntry = { record: toRecord({ object: published, added: at }), dead: false, versions: history.versions };
    return { id: object.id, history, fresh: held === undefined, content, builtModified, entry };
  }

  /**
   * The prepared versions held, in steps. Until the last is linked they lie
   * past the horizon (added `at` > `last`), which readers do not read; then
   * `last` moves to `at` and the whole publication is published at once.
   * What it drops (versions past MAX_VERSIONS_PER_OBJECT, the oldest objects
   * past the cap) is dropped after, in steps (an object briefly keeps one
   * version more; nothing is ever half published).
   */
  private *commit(changes: readonly Change[], at: number): Steps<number> {
    for (let i = 0; i < changes.length; i++) {
      const { id, history, fresh, content, builtModified, entry } = changes[i]!;
      if (fresh) this.histories.set(id, history);
      history.content = content;
      history.builtModified = builtModified;
      history.versions.push(entry);
      this.log.push(entry);
      this.versions++;
      if (i % LINKS_PER_STEP === LINKS_PER_STEP - 1) yield;
    }
    if (changes.length > 0) this.last = at;
    for (let i = 0; i < changes.length; i++) {
      const { history } = changes[i]!;
      if (history.versions.length > MAX_VERSIONS_PER_OBJECT) {
        history.versions.shift()!.dead = true;
        this.dead++;
        this.versions--;
      }
      if (i % LINKS_PER_STEP === LINKS_PER_STEP - 1) yield;
    }
    // Map order is first publication: the oldest objects go first.
    let n = 0;
    for (const [id, history] of this.histories) {
      if (this.versions <= this.maxVersions) break;
      this.histories.delete(id);
      this.versions -= history.versions.length;
      this.dead += history.versions.length;
      for (const entry of history.versions) entry.dead = true;
      if (++n % LINKS_PER_STEP === 0) yield;
    }
    // Dropped versions leave the log once they are as many as the live ones: amortised O(1) per version.
    if (this.dead > this.versions) {
      const kept: LogEntry[] = [];
      for (let i = 0; i < this.log.length; i++) {
        if (!this.log[i]!.dead) kept.push(this.log[i]!);
        if (i % (8 * LINKS_PER_STEP) === 8 * LINKS_PER_STEP - 1) yield;
      }
      this.log = kept;
      this.dead = 0;
    }
    return changes.length;
  }

  objects(): PublishedObject[] {
    const all: PublishedObject[] = [];
    for (const history of this.histories.values()) {
      for (const v of history.versions) if (v.record.added <= this.last) all.push({ object: v.record.object, added: v.record.added });
    }
    return all;
  }
}

function sortedById(changes: readonly Change[]): boolean {
  for (let i = 1; i < changes.length; i++) if (changes[i - 1]!.id >= changes[i]!.id) return false;
  return true;
}

/**
 * The findings collection over the live state: rebuilt before a request
 * (`fresh`, in slices: a rebuild of 100,000 objects never holds the event
 * loop) when the flagged serial moved (at most once per REBUILD_MIN_MS) or,
 * without a change, once per REBUILD_QUIET_MS. `objects()` only reads.
 * date_added lives in memory: a restart publishes every object again with a
 * new date_added (pollers fetch them once more; they never miss one).
 */
export function findingsSource(
  live: LiveFindings,
  options: () => StixOptions,
  clock: () => number = Date.now,
  sliceMs = REBUILD_SLICE_MS,
): StixSource & { publication: Publication; refresh(): void; fresh(): Promise<void>; ordered(): OrderedVersions } {
  const publication = new Publication();
  let serial = -1;
  let builtAt = -Infinity;
  let building: Promise<void> | null = null;
  const stale = (now: number): boolean => (live.flagged.serial !== serial && now - builtAt >= REBUILD_MIN_MS) || now - builtAt >= REBUILD_QUIET_MS;
  return {
    publication,
    /** A rebuild now, whole (tests; the service uses fresh). */
    refresh() {
      const now = clock();
      builtAt = now;
      serial = live.flagged.serial;
      publication.publish(runSteps(liveStixBundleSteps(live, options())).bundle.objects, now);
    },
    fresh() {
      if (building !== null) return building;
      const now = clock();
      if (!stale(now)) return Promise.resolve();
      builtAt = now;
      serial = live.flagged.serial;
      // Requests arriving meanwhile wait for the same rebuild; a change meanwhile is taken by the next one.
      building = (async () => {
        const { bundle } = await runStepsYielding(liveStixBundleSteps(live, options()), sliceMs);
        await runStepsYielding(publication.publishSteps(bundle.objects, now), sliceMs);
      })().finally(() => {
        building = null;
      });
      return building;
    },
    objects() {
      return publication.objects();
    },
    ordered() {
      return publication;
    },
  };
}
