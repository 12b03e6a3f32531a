/**
 * The allowlist: names never blocked, with everything under them, and
 * addresses (or CIDR ranges) never blocked by address. Built once from
 * config.policy.allowlist and the files in config.policy.allowlistFiles;
 * build it again to reload (SIGHUP).
 */
import { FileRefused, readRegularFile } from '../../config/regular-file.js';
import { ConfigError } from '../../config/errors.js';
import type { Config } from '../../config/schema.js';
import { canonicalName, isPlausibleName, parseIPv4, parseIPv6 } from '../../model/names.js';

interface Range6 {
  groups: Uint16Array;
  bits: number;
}

export class Allowlist {
  /** Canonical names (lower case, no trailing dot), sorted. */
  readonly names: readonly string[];
  /** Address entries as written ('192.0.2.0/24', '2001:db8::1'), sorted. */
  readonly addresses: readonly string[];
  private readonly nameSet: Set<string>;
  private readonly v4: Array<[number, number]> = [];
  private readonly v6: Range6[] = [];

  constructor(entries: Iterable<string> = []) {
    const names = new Set<string>();
    const addresses = new Set<string>();
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry.length === 0) continue;
      if (this.addRange(entry)) addresses.add(entry);
      else names.add(canonicalName(entry));
    }
    this.nameSet = names;
    this.names = [...names].sort();
    this.addresses = [...addresses].sort();
  }

  /** How many entries. */
  get size(): number {
    return this.names.length + this.addresses.length;
  }

  /** The name (canonical: lower case, no trailing dot) is allowlisted or under an allowlisted name. */
  isAllowed(name: string): boolean {
    if (this.nameSet.size === 0) return false;
    let n = name;
    for (;;) {
      if (this.nameSet.has(n)) return true;
      const dot = n.indexOf('.');
      if (dot < 0) return false;
      n = n.slice(dot + 1);
    }
  }

  /** The address is allowlisted (exactly or inside an allowlisted range). */
  isAllowedAddress(address: string): boolean {
    if (this.v4.length === 0 && this.v6.length === 0) return false;
    const v4 = parseIPv4(address);
    if (v4 >= 0) return this.v4.some(([net, bits]) => bits === 0 || (v4 - (v4 % 2 ** (32 - bits))) === net);
    const g = address.indexOf(':') === -1 ? null : parseIPv6(address);
    if (g === null) return false;
    return this.v6.some((r) => inRange6(g, r));
  }

  private addRange(entry: string): boolean {
    const slash = entry.indexOf('/');
    const host = slash === -1 ? entry : entry.slice(0, slash);
    const bitsText = slash === -1 ? null : entry.slice(slash + 1);
    const v4 = parseIPv4(host);
    if (v4 >= 0) {
      const bits = bitsText === null ? 32 : prefixLength(bitsText, 32);
      if (bits < 0) return false;
      this.v4.push([v4 - (v4 % 2 ** (32 - bits)), bits]);
      return true;
    }
    const g = host.indexOf(':') === -1 ? null : parseIPv6(host);
    if (g === null) return false;
    const bits = bitsText === null ? 128 : prefixLength(bitsText, 128);
    if (bits < 0) return false;
    this.v6.push({ groups: g, bits });
    return true;
  }
}

function prefixLength(text: string, max: number): number {
  if (!/^\d{1,3}$/.test(text)) return -1;
  const n = Number(text);
  return n <= max ? n : -1;
}

function inRange6(g: Uint16Array, r: Range6): boolean {
  let bits = r.bits;
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const take = Math.min(16, bits);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((g[i]! & mask) !== (r.groups[i]! & mask)) return false;
  }
  return true;
}

/**
 * The allowlist of a config: policy.allowlist plus every line of
 * policy.allowlistFiles ('#' starts a comment). A missing file or an entry
 * that is neither a name nor an address is a ConfigError naming it.
 */
export function loadAllowlist(policy: Config['policy']): Allowlist {
  const entries: string[] = [];
  policy.allowlist.forEach((entry, i) => entries.push(checked(entry, `config: policy.allowlist[${i}]`)));
  for (const file of policy.allowlistFiles) {
    const text = readAllowlistFile(file, policy.allowlistMaxBytes);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const hash = lines[i]!.indexOf('#');
      const entry = (hash === -1 ? lines[i]! : lines[i]!.slice(0, hash)).trim();
      if (entry.length > 0) entries.push(checked(entry, `config: ${file}:${i + 1}`));
    }
  }
  return new Allowlist(entries);
}

/**
 * The text of one allowlist file: a regular file of at most `maxBytes`
 * (policy.allowlistMaxBytes), read by config/regular-file (no /dev/zero,
 * FIFO or directory; no growth past the cap). Errors are one-line ConfigErrors.
 */
function readAllowlistFile(file: string, maxBytes: number): string {
  const where = `config: policy.allowlistFiles: ${file}`;
  try {
    return readRegularFile(file, maxBytes);
  } catch (err) {
    if (!(err instanceof FileRefused)) throw err;
    const r = err.refusal;
    if (r.kind === 'unreadable') throw new ConfigError(`config: policy.allowlistFiles: cannot read ${file}: ${r.code}`);
    if (r.kind === 'not-regular') throw new ConfigError(`${where}: not a regular file`);
    if (r.kind === 'too-big') throw new ConfigError(`${where}: ${r.size} bytes, over policy.allowlistMaxBytes (${maxBytes})`);
    throw new ConfigError(`${where}: grew over policy.allowlistMaxBytes (${maxBytes}) while being read`);
  }
}

function checked(entry: string, where: string): string {
  const e = entry.trim();
  if (new Allowlist([e]).addresses.length === 1) return e;
  const name = canonicalName(e);
  if (!isPlausibleName(name) || name === '.') {
    throw new ConfigError(`${where}: ${JSON.stringify(e.slice(0, 80))} is neither a domain name nor an address`);
  }
  return e;
}

/**
 * The daemon's allowlist: one per config, shared by FlaggedDomains (its
 * isAllowed) and every service, and reloaded in place on SIGHUP so a name
 * added to an allowlist file stops being blocked everywhere at once. It is
 * the configured allowlist (policy.allowlist and policy.allowlistFiles) plus
 * the operator's managed entries (the allow list kept in the store,
 * src/serve/lists/), which a reload keeps.
 */
export class LiveAllowlist {
  /** policy.allowlist and policy.allowlistFiles alone. */
  private base: Allowlist;
  private managedNames: readonly string[] = [];
  private current: Allowlist;
  private readonly listeners = new Set<() => void>();

  constructor(policy: Config['policy']) {
    this.base = loadAllowlist(policy);
    this.current = this.base;
  }

  /** The allowlist in force: configured entries and managed ones. */
  get allowlist(): Allowlist {
    return this.current;
  }

  /** The configured entries alone (config and files: read-only to the API). */
  get configured(): Allowlist {
    return this.base;
  }

  /** The operator's managed names (canonical), as last set. */
  get managed(): readonly string[] {
    return this.managedNames;
  }

  /** Replaces the managed names (domain names only; the lists service checked them). */
  setManaged(names: readonly string[]): void {
    this.managedNames = [...names];
    this.current = this.combine(this.base);
    this.changed();
  }

  /** Calls listener after each change of the allowlist in force (serve --workers: the detector workers follow it). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /**
   * SIGHUP as a transaction: reads the allowlist of `next` (a config not yet
   * in force) and returns the commit that puts it in place; throws a
   * ConfigError, changing nothing, when an entry or a file is bad. The
   * managed entries stay.
   */
  prepare(next: Config['policy']): () => void {
    const allowlist = loadAllowlist(next);
    return () => {
      this.base = allowlist;
      this.current = this.combine(allowlist);
      this.changed();
    };
  }

  readonly isAllowed = (name: string): boolean => this.current.isAllowed(name);

  private combine(base: Allowlist): Allowlist {
    return withNames(base, this.managedNames);
  }
}

/** `base` with more names (the managed ones); `base` itself when there are none. */
export function withNames(base: Allowlist, names: readonly string[]): Allowlist {
  if (names.length === 0) return base;
  return new Allowlist([...base.names, ...base.addresses, ...names]);
}

const live = new WeakMap<Config['policy'], LiveAllowlist>();

/** The shared LiveAllowlist of this config (built on first use; a ConfigError for a bad entry or file). */
export function liveAllowlist(config: Pick<Config, 'policy'>): LiveAllowlist {
  let l = live.get(config.policy);
  if (l === undefined) {
    l = new LiveAllowlist(config.policy);
    live.set(config.policy, l);
  }
  return l;
}
