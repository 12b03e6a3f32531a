/**
 * `--intel SOURCE[,key=value...]`: a feed named on the command line. SOURCE
 * is a path or an http(s) URL; the options are those of an intel.feeds entry
 * that fit on a line (name, kind, column, action, confidence, refresh,
 * expiry, collection). The options start at the first `,key=` whose key is a
 * word, so a URL may hold commas in its path but not `,word=`. Each feed is
 * validated by the config schema itself, so a flag and a config entry obey
 * one rule; a bad one is one line (UsageError, exit 2).
 */
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { configSchema } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import type { IntelFeedConfig } from './loader.js';

export const SPEC_KEYS = ['name', 'kind', 'column', 'action', 'confidence', 'refresh', 'expiry', 'collection'] as const;
type SpecKey = (typeof SPEC_KEYS)[number];
const NUMERIC = new Set<SpecKey>(['confidence', 'refresh', 'expiry']);

/** The raw feed of one --intel value (before defaults and validation). */
export function readIntelSpec(text: string): Record<string, unknown> {
  const cut = text.search(/,[A-Za-z]+=/);
  const source = cut === -1 ? text : text.slice(0, cut);
  if (source.trim() === '') throw new UsageError(`--intel '${shown(text)}': no path or URL before the options`);
  const feed: Record<string, unknown> = /^https?:\/\//i.test(source) ? { url: source } : { path: source };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && feed.url === undefined) throw new UsageError(`--intel '${shown(text)}': only http and https URLs are fetched`);
  if (cut === -1) return feed;
  for (const option of text.slice(cut + 1).split(',')) {
    const eq = option.indexOf('=');
    const key = (eq === -1 ? option : option.slice(0, eq)) as SpecKey;
    const value = eq === -1 ? '' : option.slice(eq + 1);
    if (!SPEC_KEYS.includes(key)) throw new UsageError(`--intel '${shown(text)}': unknown option '${shown(key)}' (options: ${SPEC_KEYS.join(', ')})`);
    if (eq === -1 || value === '') throw new UsageError(`--intel '${shown(text)}': option ${key} needs a value (${key}=...)`);
    if (key in feed) throw new UsageError(`--intel '${shown(text)}': option ${key} given twice`);
    if (NUMERIC.has(key)) {
      if (!/^[0-9]+$/.test(value)) throw new UsageError(`--intel '${shown(text)}': ${key} takes a whole number, not '${shown(value)}'`);
      feed[key] = Number(value);
    } else if (key === 'column' && /^[0-9]+$/.test(value)) feed[key] = Number(value);
    else feed[key] = value;
  }
  return feed;
}

/**
 * The feeds in force: config intel.feeds, then each --intel. A flag naming
 * a feed the config has replaces it (flags win); a flag without a name gets
 * one from its file or host, made unique.
 */
export function intelFeedsOf(configured: readonly IntelFeedConfig[], specs: readonly string[]): IntelFeedConfig[] {
  const feeds = [...configured];
  const fromFlags = new Set<string>();
  for (const spec of specs) {
    const raw = readIntelSpec(spec);
    if (raw.name === undefined) raw.name = uniqueName(defaultName(raw), feeds);
    const feed = validated(raw, spec);
    if (fromFlags.has(feed.name)) throw new UsageError(`--intel '${shown(spec)}': another --intel is already named ${feed.name}`);
    fromFlags.add(feed.name);
    const same = feeds.findIndex((f) => f.name === feed.name);
    if (same !== -1) feeds[same] = feed;
    else feeds.push(feed);
  }
  return feeds;
}

/**
 * The feeds of flux intelligence, for the feed set: warninglists are
 * allowlists that extend the reference lists (src/intel/warninglist), not
 * entries of the index.
 */
export function fluxFeeds(feeds: readonly IntelFeedConfig[]): IntelFeedConfig[] {
  return feeds.filter((f) => f.kind !== 'warninglist');
}

function validated(raw: Record<string, unknown>, spec: string): IntelFeedConfig {
  const result = configSchema.safeParse({ intel: { feeds: [raw] } });
  if (result.success) return result.data.intel.feeds[0]!;
  const issue = result.error.issues[0];
  const where = issue === undefined ? '' : issue.path.slice(3).join('.');
  const message = issue === undefined ? 'invalid' : issue.message.split('\n')[0]!;
  throw new UsageError(`--intel '${shown(spec)}': ${where === '' ? '' : `${where}: `}${message}`);
}

/** A feed's name from its file (without extension) or its URL's host; letters, digits, '.', '_', '-'. */
function defaultName(raw: Record<string, unknown>): string {
  let base = 'intel';
  if (typeof raw.path === 'string') base = basename(raw.path, extname(raw.path));
  else if (typeof raw.url === 'string') {
    try {
      base = new URL(raw.url).hostname;
    } catch {
      base = 'intel';
    }
  }
  const clean = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 56);
  return clean === '' ? 'intel' : clean;
}

function uniqueName(base: string, feeds: readonly IntelFeedConfig[]): string {
  const taken = new Set(feeds.map((f) => f.name));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** A spec as echoed in an error: control characters out, at most 200 characters, no URL user info or query. */
function shown(text: string): string {
  const redacted = text.replace(/\/\/[^/@\s]*@/g, '//').replace(/\?[^,]*/g, '?…');
  return redacted.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200);
}

/**
 * A feed path that is not there when a run starts is a typo, not an outage:
 * one line, exit 2 (UsageError), rather than a run that silently checks
 * against nothing. URL feeds are not checked: a remote that is down is an
 * outage (warned, the kept copy used).
 */
export function requireFeedPaths(feeds: readonly IntelFeedConfig[], command: string): void {
  for (const f of feeds) {
    if (f.path !== null && !existsSync(f.path)) throw new UsageError(`${command}: intel feed ${shown(f.name)}: no such file or directory: ${shown(f.path)}`);
  }
}
