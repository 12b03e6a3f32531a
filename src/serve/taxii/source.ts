/**
 * What the TAXII service publishes: STIX objects with the time fluxhound
 * first published each version (TAXII's date_added). The service reads only
 * the StixSource seam. `findingsSource` is the findings collection: the
 * act/stix bundle of the live findings (serve/share), every object of it
 * (indicators, domain and address SCOs, an infrastructure per flux network,
 * relationships, the identity, the TLP marking), versioned as it changes.
 */
import type { StixObject, StixOptions } from '../../act/stix/bundle.js';
import { liveStixBundle, type LiveFindings } from '../share/live.js';

/** One version of one STIX object and when it was first published (ms since the epoch). */
export interface PublishedObject {
  object: Record<string, unknown>;
  added: number;
}

/** THE SEAM: the TAXII service reads its objects here and nowhere else. */
export interface StixSource {
  /** Every stored version of every object, in any order; each (id, version) at most once. */
  objects(): PublishedObject[];
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
  versions: PublishedObject[];
}

/**
 * Keeps every published version of a changing set of STIX objects with its
 * date_added. A rebuild's object whose content or `modified` changed becomes a
 * new version added now; its `modified` is raised 1 ms past the last published
 * one when the builder's did not move (a version is identified by
 * `modified`, TAXII 2.1 §3.4.2), so two versions never share one. Objects the
 * build no longer holds (an expired name) keep their versions: what was
 * shared stays shared. `now` never goes back (a clock step backwards would
 * hide new versions from an added_after poller).
 */
export class Publication {
  private readonly histories = new Map<string, History>();
  private versions = 0;
  private last = -Infinity;

  constructor(private readonly maxVersions = MAX_PUBLISHED_VERSIONS) {}

  get size(): number {
    return this.versions;
  }

  /** Publishes a build at `now` (ms); returns the number of new versions. */
  publish(objects: readonly StixObject[], now: number): number {
    // Strictly later than every earlier publication: a `next` cursor handed out before never skips a new version.
    const at = Math.max(now, this.last + 1);
    let added = 0;
    for (const object of objects) {
      const { modified, ...rest } = object;
      const content = JSON.stringify(rest);
      const builtModified = typeof modified === 'string' ? modified : null;
      let history = this.histories.get(object.id);
      if (history !== undefined && history.content === content && history.builtModified === builtModified) continue;
      if (history === undefined) {
        history = { content, builtModified, versions: [] };
        this.histories.set(object.id, history);
      }
      history.content = content;
      history.builtModified = builtModified;
      const previous = history.versions[history.versions.length - 1]?.object.modified;
      let published: Record<string, unknown> = object;
      if (builtModified !== null && typeof previous === 'string' && builtModified <= previous) {
        published = { ...object, modified: new Date(Date.parse(previous) + 1).toISOString() };
      }
      history.versions.push({ object: published, added: at });
      this.versions++;
      added++;
      if (history.versions.length > MAX_VERSIONS_PER_OBJECT) {
        history.versions.shift();
        this.versions--;
      }
    }
    if (added > 0) this.last = at;
    // Map order is first publication: the oldest objects go first.
    for (const [id, history] of this.histories) {
      if (this.versions <= this.maxVersions) break;
      this.histories.delete(id);
      this.versions -= history.versions.length;
    }
    return added;
  }

  objects(): PublishedObject[] {
    const all: PublishedObject[] = [];
    for (const history of this.histories.values()) for (const v of history.versions) all.push(v);
    return all;
  }
}

/**
 * The findings collection over the live state: rebuilt on a request when
 * the flagged serial moved (at most once per REBUILD_MIN_MS) or, without a
 * change, once per REBUILD_QUIET_MS. date_added lives in memory: a restart
 * publishes every object again with a new date_added (pollers fetch them
 * once more; they never miss one).
 */
export function findingsSource(live: LiveFindings, options: () => StixOptions, clock: () => number = Date.now): StixSource & { publication: Publication; refresh(): void } {
  const publication = new Publication();
  let serial = -1;
  let builtAt = -Infinity;
  const refresh = (): void => {
    const now = clock();
    builtAt = now;
    serial = live.flagged.serial;
    publication.publish(liveStixBundle(live, options()).bundle.objects, now);
  };
  return {
    publication,
    refresh,
    objects() {
      const now = clock();
      const changed = live.flagged.serial !== serial;
      if ((changed && now - builtAt >= REBUILD_MIN_MS) || now - builtAt >= REBUILD_QUIET_MS) refresh();
      return publication.objects();
    },
  };
}
