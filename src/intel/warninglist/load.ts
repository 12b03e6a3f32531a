/**
 * The warninglist feeds of a config (intel.feeds with kind 'warninglist'),
 * read from their files at start-up and laid over the reference lists. URL
 * warninglists are fetched by the intel feed loader (src/intel/feeds), which
 * calls parseWarninglist and extendInfra the same way; here they are left
 * out, so a run with only a URL list changes nothing until that loader runs.
 */
import { FileRefused, readRegularFile } from '../../config/regular-file.js';
import { ConfigError } from '../../config/errors.js';
import type { Config } from '../../config/schema.js';
import type { Infra } from '../../enrich/infra/index.js';
import { extendInfra, type WarninglistFeed, type WarninglistRules } from './extend.js';
import { parseWarninglist } from './parse.js';

/** base itself when the config names no warninglist file; else base extended with every one. */
export function withWarninglistFiles(base: Infra | null, intel: Config['intel'], rules: WarninglistRules): Infra | null {
  const feeds: WarninglistFeed[] = [];
  for (const feed of intel.feeds) {
    if (feed.kind !== 'warninglist' || feed.path === null) continue;
    const text = readCapped(feed.path, intel.maxBytes, `config: intel.feeds ${feed.name}`);
    feeds.push({ name: feed.name, list: parseWarninglist(text, feed.path) });
  }
  return feeds.length === 0 ? base : extendInfra(base, feeds, rules);
}

/** A warninglist file through config/regular-file (a regular file of at most intel.maxBytes); errors are one-line ConfigErrors. */
function readCapped(path: string, maxBytes: number, where: string): string {
  try {
    return readRegularFile(path, maxBytes);
  } catch (err) {
    if (!(err instanceof FileRefused)) throw err;
    const r = err.refusal;
    if (r.kind === 'unreadable') throw new ConfigError(`${where}: cannot read ${path}: ${r.code}`);
    if (r.kind === 'not-regular') throw new ConfigError(`${where}: ${path} is not a regular file`);
    if (r.kind === 'too-big') throw new ConfigError(`${where}: ${path} has ${r.size} bytes, over intel.maxBytes (${maxBytes})`);
    throw new ConfigError(`${where}: ${path} grew while being read`);
  }
}
