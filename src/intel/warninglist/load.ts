/**
 * The warninglist feeds of a config (intel.feeds with kind 'warninglist'),
 * read from their files at start-up and laid over the reference lists. URL
 * warninglists are fetched by the intel feed loader (src/intel/feeds), which
 * calls parseWarninglist and extendInfra the same way; here they are left
 * out, so a run with only a URL list changes nothing until that loader runs.
 */
import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { ConfigError } from '../../config/load.js';
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

/**
 * A regular file of at most maxBytes, as UTF-8: /dev/zero, a FIFO or a
 * directory is refused before a byte is read, and so is a file that grows
 * past the cap while it is read. Errors are one-line ConfigErrors.
 */
function readCapped(path: string, maxBytes: number, where: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new ConfigError(`${where}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new ConfigError(`${where}: ${path} is not a regular file`);
    if (info.size > maxBytes) throw new ConfigError(`${where}: ${path} has ${info.size} bytes, over intel.maxBytes (${maxBytes})`);
    const buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > info.size) throw new ConfigError(`${where}: ${path} grew while being read`);
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
