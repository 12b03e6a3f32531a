/**
 * The store file an admin command works on: --store, else serve.store.path
 * of the config (-c), else the default config's. A file that does not exist
 * is a usage error (an admin command never creates a store).
 */
import { existsSync, statSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { UsageError } from './errors.js';

export interface StoreFlags {
  store?: string;
  config?: string;
}

export function storePath(command: string, flags: StoreFlags): string {
  const path = flags.store ?? loadConfig(flags.config, {}).serve.store.path;
  if (path === null) throw new UsageError(`${command}: no store: give --store PATH (serve.store.path is null)`);
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${command}: no store file at ${path} (give --store PATH, or -c with serve.store.path)`);
  return path;
}

/** Opens the store at the path flags name; the caller closes it. */
export function openStore(command: string, flags: StoreFlags): { store: Store; path: string } {
  const path = storePath(command, flags);
  try {
    return { store: new SqliteStore(path), path };
  } catch (err) {
    throw new UsageError(`${command}: cannot open the store ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Text safe in a terminal: control characters as \xNN (names are already in the one escaping rule). */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
