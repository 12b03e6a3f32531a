/**
 * What the feeds know, built once per load and read on the detector's hot
 * path: is this name (or its nearest listed ancestor) listed, is this address
 * inside a listed address or network (the most specific wins), and by which
 * feed, entry, action and confidence. Lookups allocate nothing: names go
 * through enrich/infra's SuffixTable (hashed from the right, one probe per
 * label boundary, no substrings), addresses through sorted typed arrays per
 * prefix length, and the hit is one object per index, refilled by each
 * lookup (copy it to keep it past the next).
 *
 * Never a trigger (refused at build, counted per feed and reason): the root, a
 * public suffix (the caller passes the one rule, detect/registered-domain's
 * isRegistrable: intel sits below detect), an allowlisted name, a
 * non-routable address or network (model/special-purpose), a known CDN or
 * cloud address (the caller's predicate) and a network wider than the
 * minimum prefix.
 */
import { SuffixTable } from '../enrich/infra/suffix-table.js';
import { parseIPv4, parseIPv6Into } from '../model/names.js';
import { nonRoutableV4, nonRoutableV6 } from '../model/special-purpose.js';
import type { IntelEntry, ParsedFeed } from './entry.js';
import { skipCount } from './feed-text.js';
import { PrefixTable, PrefixTableBuilder } from './prefix-tables.js';
import { v4Mapped } from './values.js';

export type IntelAction = 'block' | 'log';

/** One feed's parsed entries and how to use them. */
export interface IntelFeedInput {
  name: string;
  action: IntelAction;
  /** 0..100: how far the feed is trusted; reported with every hit. */
  confidence: number;
  /** Epoch milliseconds after which its entries no longer match; Infinity for never. */
  expiresAt: number;
  feed: ParsedFeed;
}

/** What is never a trigger. Predicates, because the rules live in layers above or beside intel. */
export interface IntelRules {
  /** The one public-suffix rule (detect/registered-domain isRegistrable): false for `com`, `co.uk`, `github.io`. */
  isRegistrable(name: string): boolean;
  /** The allowlist: true when the name (or its allowlisted ancestor) must never be blocked. */
  isAllowlisted(name: string): boolean;
  /** A known CDN or cloud address or network (enrich/infra); absent: none known. */
  isKnownInfrastructure?(value: string, kind: 'address' | 'cidr'): boolean;
}

export interface IntelIndexLimits {
  /** Entries one feed may place in the index; the rest are refused as over-cap. Default 2000000. */
  maxEntriesPerFeed: number;
  /** The widest IPv4 network a feed may list (a /0 would flag the Internet). Default 8. */
  minPrefixV4: number;
  /** The widest IPv6 network. Default 16. */
  minPrefixV6: number;
}

export const DEFAULT_INTEL_LIMITS: IntelIndexLimits = { maxEntriesPerFeed: 2_000_000, minPrefixV4: 8, minPrefixV6: 16 };

export const REFUSALS = ['root', 'public-suffix', 'allowlisted', 'known-infrastructure', 'non-routable', 'too-broad', 'over-cap', 'duplicate', 'expired'] as const;
export type IntelRefusal = (typeof REFUSALS)[number];

export interface IntelFeedCounts {
  feed: string;
  accepted: number;
  /** Parser skips (bad records), from the ParsedFeed. */
  skipped: number;
  refused: Record<IntelRefusal, number>;
}

/** A lookup's answer. The index refills one object: copy what you keep past the next lookup. */
export interface IntelHit {
  feed: string;
  ref: string;
  value: string;
  note: string;
  action: IntelAction;
  confidence: number;
}

interface FeedMeta {
  name: string;
  action: IntelAction;
  confidence: number;
  expiresAt: number;
}

export class IntelIndex {
  private readonly hit: IntelHit = { feed: '', ref: '', value: '', note: '', action: 'log', confidence: 0 };
  private readonly groups = new Uint16Array(8);

  constructor(
    private readonly feeds: FeedMeta[],
    private readonly entries: readonly IntelEntry[],
    private readonly feedOf: Uint16Array,
    /** Per entry: epoch ms from which it no longer matches (its validUntil); Infinity for none. */
    private readonly until: Float64Array,
    private readonly names: SuffixTable,
    private readonly v4: PrefixTable,
    private readonly v6: PrefixTable,
    /** Per feed, in the order given: what was kept and what refused. */
    readonly counts: readonly IntelFeedCounts[],
  ) {}

  get domains(): number {
    return this.names.size;
  }

  get addresses(): number {
    return this.v4.size + this.v6.size;
  }

  /**
   * A feed's copy was confirmed (a 304, an unchanged file) or pushed again:
   * its entries stay valid until expiresAt, without rebuilding the index.
   */
  renew(feed: string, expiresAt: number): void {
    for (const f of this.feeds) if (f.name === feed) f.expiresAt = expiresAt;
  }

  /** The listing of name or of its nearest listed ancestor; null when none (or its feed or the entry expired). */
  matchDomain(name: string, now: number = Date.now()): IntelHit | null {
    return this.answer(this.names.longest(name), now);
  }

  /** The listing of an address (IPv4, IPv6, v4-mapped IPv6 text): exact, else the most specific network. */
  matchAddress(address: string, now: number = Date.now()): IntelHit | null {
    const v4 = parseIPv4(address);
    if (v4 >= 0) return this.answer(this.v4.lookupV4(v4), now);
    if (address.indexOf(':') === -1 || !parseIPv6Into(address, this.groups)) return null;
    return this.matchIPv6(this.groups, now);
  }

  /** matchAddress for an IPv4 address as an unsigned 32-bit number. */
  matchIPv4(ip: number, now: number = Date.now()): IntelHit | null {
    return this.answer(this.v4.lookupV4(ip), now);
  }

  /** matchAddress for an IPv6 address as eight 16-bit groups. */
  matchIPv6(g: Uint16Array, now: number = Date.now()): IntelHit | null {
    const mapped = v4Mapped(g);
    if (mapped >= 0) return this.answer(this.v4.lookupV4(mapped), now);
    return this.answer(this.v6.lookupV6(g[0]! * 65536 + g[1]!, g[2]! * 65536 + g[3]!, g[4]! * 65536 + g[5]!, g[6]! * 65536 + g[7]!), now);
  }

  private answer(entry: number, now: number): IntelHit | null {
    if (entry < 0) return null;
    const feed = this.feeds[this.feedOf[entry]!]!;
    if (now > feed.expiresAt || !(now < this.until[entry]!)) return null;
    const e = this.entries[entry]!;
    const hit = this.hit;
    hit.feed = feed.name;
    hit.ref = e.ref;
    hit.value = e.value;
    hit.note = e.note;
    hit.action = feed.action;
    hit.confidence = feed.confidence;
    return hit;
  }
}

/**
 * An index that crossed to another thread: a structured clone keeps every
 * own field (typed arrays, entries, feed metadata) but not the classes. The
 * same index again, without rebuilding it: serve's detector workers
 * (src/detect/parallel) match exactly what the main thread's index matches.
 * Throws when `clone` is not a cloned index.
 */
export function reviveIntelIndex(clone: unknown): IntelIndex {
  const fields = clone as Record<string, unknown> | null;
  const shaped =
    typeof fields === 'object' && fields !== null && Array.isArray(fields.feeds) && Array.isArray(fields.entries) && fields.feedOf instanceof Uint16Array &&
    fields.until instanceof Float64Array && isObject(fields.names) && isObject(fields.v4) && isObject(fields.v6);
  if (!shaped) throw new Error('intel: not an intel index sent from another thread');
  Object.setPrototypeOf(fields.names, SuffixTable.prototype);
  Object.setPrototypeOf(fields.v4, PrefixTable.prototype);
  Object.setPrototypeOf(fields.v6, PrefixTable.prototype);
  return Object.setPrototypeOf(fields, IntelIndex.prototype) as IntelIndex;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/**
 * An index packed for other threads. A structured clone of 300k entries
 * (one object each) took 2–3 s of the sending thread under load, per
 * receiver: serve's event loop must not stall on it. So the entries and the
 * name keys go as JSON text in one SharedArrayBuffer, encoded once, a slice
 * at a time (`pause` between slices), and shared by every receiver without a
 * copy; the rest (typed arrays, feed metadata) is cloned as it is.
 */
export interface PackedIntelIndex {
  /** The index's own fields, entries and names.keys emptied. */
  fields: Record<string, unknown>;
  /** UTF-8 JSON arrays: first the entries' chunks, then the keys'. */
  text: SharedArrayBuffer;
  /** Byte length of each chunk, in order. */
  chunks: number[];
  entryChunks: number;
}

/** Entries (or keys) per slice: a few milliseconds of JSON each. */
const PACK_SLICE = 2_000;

export async function packIntelIndex(index: IntelIndex, pause: () => Promise<void>): Promise<PackedIntelIndex> {
  const own = index as unknown as { entries: readonly IntelEntry[]; names: SuffixTable };
  const keys = (own.names as unknown as { keys: string[] }).keys;
  const texts: string[] = [];
  const chunks: number[] = [];
  const slices = async (list: readonly unknown[]): Promise<void> => {
    for (let i = 0; i < list.length; i += PACK_SLICE) {
      const text = JSON.stringify(list.slice(i, i + PACK_SLICE));
      texts.push(text);
      chunks.push(Buffer.byteLength(text));
      await pause();
    }
  };
  await slices(own.entries);
  const entryChunks = texts.length;
  await slices(keys);
  const text = new SharedArrayBuffer(chunks.reduce((a, b) => a + b, 0));
  const bytes = new Uint8Array(text);
  const encoder = new TextEncoder();
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    encoder.encodeInto(texts[i]!, bytes.subarray(at, at + chunks[i]!));
    at += chunks[i]!;
    await pause();
  }
  const fields: Record<string, unknown> = { ...(index as unknown as Record<string, unknown>), entries: [], names: { ...(own.names as unknown as Record<string, unknown>), keys: [] } };
  return { fields, text, chunks, entryChunks };
}

/** The index packIntelIndex packed, in this thread (decoding costs this thread, not the sender). Throws on anything else. */
export function unpackIntelIndex(packed: unknown): IntelIndex {
  const p = packed as PackedIntelIndex | null;
  if (typeof p !== 'object' || p === null || !(p.text instanceof SharedArrayBuffer) || !Array.isArray(p.chunks) || typeof p.entryChunks !== 'number' || !isObject(p.fields) || !isObject(p.fields.names)) {
    throw new Error('intel: not an intel index sent from another thread');
  }
  const decoder = new TextDecoder();
  const bytes = new Uint8Array(p.text);
  const entries: IntelEntry[] = [];
  const keys: string[] = [];
  let at = 0;
  p.chunks.forEach((length, i) => {
    // A shared buffer cannot be decoded in place: copy the chunk out first.
    const list = JSON.parse(decoder.decode(bytes.slice(at, at + length))) as unknown[];
    at += length;
    for (const item of list) (i < p.entryChunks ? entries : keys).push(item as never);
  });
  (p.fields.names as Record<string, unknown>).keys = keys;
  return reviveIntelIndex({ ...p.fields, entries });
}

/**
 * The index of the feeds' entries. A value several feeds list answers with
 * the strongest listing: block before log, then the higher confidence, then
 * the feed given first; the others count as duplicates. Feeds already
 * expired at `now` place nothing (counted as expired).
 */
export function buildIntelIndex(inputs: readonly IntelFeedInput[], rules: IntelRules, limits: IntelIndexLimits = DEFAULT_INTEL_LIMITS, now: number = Date.now()): IntelIndex {
  const steps = indexSteps(inputs, rules, limits, now, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * buildIntelIndex for a daemon: the same work cut into slices of about
 * `sliceEntries` entries, with `pause()` awaited between slices (setImmediate),
 * so DNS answers wait for one slice, not for a million-entry build.
 */
export async function buildIntelIndexInSlices(
  inputs: readonly IntelFeedInput[],
  rules: IntelRules,
  pause: () => Promise<void>,
  limits: IntelIndexLimits = DEFAULT_INTEL_LIMITS,
  now: number = Date.now(),
  sliceEntries = 50_000,
): Promise<IntelIndex> {
  const steps = indexSteps(inputs, rules, limits, now, sliceEntries);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await pause();
  }
}

/** The build, yielding after every `sliceEntries` entries handled (Infinity: never). */
function* indexSteps(inputs: readonly IntelFeedInput[], rules: IntelRules, limits: IntelIndexLimits, now: number, sliceEntries: number): Generator<void, IntelIndex> {
  if (inputs.length > 65535) throw new Error('intel: at most 65535 feeds');
  const order = inputs.map((_, i) => i).sort((a, b) => strength(inputs[b]!) - strength(inputs[a]!) || a - b);
  const counts: IntelFeedCounts[] = inputs.map((f) => ({ feed: f.name, accepted: 0, skipped: skipCount(f.feed.skipped), refused: zeroRefusals() }));
  const entries: IntelEntry[] = [];
  const feedOf: number[] = [];
  const domains: number[] = [];
  const v4 = new PrefixTableBuilder(1);
  const v6 = new PrefixTableBuilder(4);
  const groups = new Uint16Array(8);
  const words = new Uint32Array(4);
  const place = { v4: true, bits: 32 };
  let handled = 0;

  for (const f of order) {
    const input = inputs[f]!;
    const count = counts[f]!;
    if (now > input.expiresAt) {
      count.refused.expired += input.feed.entries.length;
      continue;
    }
    let placed = 0;
    for (const e of input.feed.entries) {
      if (++handled % sliceEntries === 0) yield;
      if (e.validUntil !== undefined && !(now < e.validUntil)) {
        count.refused.expired++;
        continue;
      }
      if (placed >= limits.maxEntriesPerFeed) {
        count.refused['over-cap']++;
        continue;
      }
      const refusal = e.kind === 'domain' ? domainRefusal(e.value, rules) : addressRefusal(e, rules, limits, groups, words, place);
      if (refusal !== null) {
        count.refused[refusal]++;
        continue;
      }
      const at = entries.length;
      entries.push(e);
      feedOf.push(f);
      placed++;
      if (e.kind === 'domain') domains.push(at);
      else if (place.v4) v4.add(words, place.bits, at);
      else v6.add(words, place.bits, at);
    }
  }

  const names = new SuffixTable(domains.length);
  const duplicate = new Set<number>();
  for (let i = 0; i < domains.length; i++) {
    if ((i + 1) % sliceEntries === 0) yield;
    const at = domains[i]!;
    if (!names.set(entries[at]!.value, at)) duplicate.add(at);
  }
  const builtV4 = v4.build();
  if (sliceEntries !== Infinity) yield;
  const builtV6 = v6.build();
  for (const at of [...builtV4.duplicates, ...builtV6.duplicates]) duplicate.add(at);
  for (let at = 0; at < entries.length; at++) {
    const count = counts[feedOf[at]!]!;
    if (duplicate.has(at)) count.refused.duplicate++;
    else count.accepted++;
  }
  const feeds = inputs.map((i) => ({ name: i.name, action: i.action, confidence: i.confidence, expiresAt: i.expiresAt }));
  const until = Float64Array.from(entries, (e) => e.validUntil ?? Infinity);
  return new IntelIndex(feeds, entries, Uint16Array.from(feedOf), until, names, builtV4.table, builtV6.table, counts);
}

function strength(f: IntelFeedInput): number {
  return (f.action === 'block' ? 1000 : 0) + f.confidence;
}

function zeroRefusals(): Record<IntelRefusal, number> {
  return Object.fromEntries(REFUSALS.map((r) => [r, 0])) as Record<IntelRefusal, number>;
}

function domainRefusal(name: string, rules: IntelRules): IntelRefusal | null {
  if (name === '' || name === '.') return 'root';
  if (!rules.isRegistrable(name)) return 'public-suffix';
  if (rules.isAllowlisted(name)) return 'allowlisted';
  return null;
}

/**
 * Why an address or network may not be a trigger; otherwise fills words with
 * its network and place with its family and prefix length. Values from any
 * parser are read again, so a v4-mapped IPv6 value lands in the IPv4 table.
 */
function addressRefusal(e: IntelEntry, rules: IntelRules, limits: IntelIndexLimits, groups: Uint16Array, words: Uint32Array, place: { v4: boolean; bits: number }): IntelRefusal | null {
  const slash = e.value.indexOf('/');
  const base = slash === -1 ? e.value : e.value.slice(0, slash);
  let v4 = parseIPv4(base);
  let bits = prefixBits(e.value, v4 >= 0 ? 32 : 128);
  if (v4 < 0) {
    // Parsers give canonical text; anything else is refused as non-routable rather than trusted.
    if (!parseIPv6Into(base, groups) || !(bits >= 0 && bits <= 128)) return 'non-routable';
    const mapped = v4Mapped(groups);
    if (mapped >= 0 && bits >= 96) {
      v4 = mapped;
      bits -= 96;
    }
  } else if (!(bits >= 0 && bits <= 32)) return 'non-routable';
  if (v4 >= 0) {
    if (bits < limits.minPrefixV4) return 'too-broad';
    if (nonRoutableV4(v4) !== -1) return 'non-routable';
    words[0] = v4;
  } else {
    if (bits < limits.minPrefixV6) return 'too-broad';
    if (nonRoutableV6(groups) !== -1) return 'non-routable';
    for (let k = 0; k < 4; k++) words[k] = groups[k * 2]! * 65536 + groups[k * 2 + 1]!;
  }
  if (rules.isKnownInfrastructure?.(e.value, e.kind === 'cidr' ? 'cidr' : 'address') === true) return 'known-infrastructure';
  place.v4 = v4 >= 0;
  place.bits = bits;
  return null;
}

/** The prefix length of 'network/bits', or full for an address; NaN when it is no number. */
function prefixBits(value: string, full: number): number {
  const slash = value.indexOf('/');
  if (slash === -1) return full;
  const text = value.slice(slash + 1);
  return /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN;
}
