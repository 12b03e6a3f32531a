/**
 * The API token file: one token per line, `TOKEN ROLE NAME`, '#' starts a
 * comment, blank lines are skipped, CRLF is accepted. Parsed once (at start
 * and on SIGHUP) into a table keyed by the SHA-256 digest of each token, so
 * a lookup hashes what the client sent and finds the digest in a Map: the
 * time it takes depends on the digest, never on how much of a real token a
 * guess got right. Errors name the file and line and never echo a token
 * (nor the field where one may have been put by mistake).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ConfigError } from '../../config/load.js';
import { ROLES, type Principal, type Role } from '../http/route.js';

/** Tokens are at least this long: 16 characters of base64 or hex are 64+ bits a client cannot guess online. */
export const MIN_TOKEN_LENGTH = 16;
export const MAX_TOKEN_LENGTH = 512;
/** The token file may hold at most this many bytes (it is read whole, at start and on SIGHUP). */
export const MAX_TOKEN_FILE_BYTES = 1024 * 1024;

/** base64, base64url and hex: what `openssl rand -base64 32` or `-hex 32` print. */
const TOKEN_ALPHABET = /^[A-Za-z0-9+/=._~-]+$/;
/** Names appear in logs and the audit trail ('by'): plain words only. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}

/** The principals of one token file, found by the digest of their token. */
export class TokenTable {
  constructor(private readonly byDigest: ReadonlyMap<string, Principal>) {}

  get size(): number {
    return this.byDigest.size;
  }

  /** The principal holding `token`, or null. */
  lookup(token: string): Principal | null {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    return this.byDigest.get(tokenDigest(token)) ?? null;
  }

  /** Names and roles, for logging what a reload changed (never the tokens). */
  principals(): Principal[] {
    return [...this.byDigest.values()];
  }
}

/** Parses the text of a token file; `file` names it in errors. Throws ConfigError `tokens: FILE:LINE: why`. */
export function parseTokens(text: string, file: string): TokenTable {
  const byDigest = new Map<string, Principal>();
  const lineOfDigest = new Map<string, number>();
  const lineOfName = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const at = `tokens: ${file}:${i + 1}`;
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    const fields = line.split(/[ \t]+/).filter((f) => f.length > 0);
    if (fields.length === 0) continue;
    if (fields.length !== 3) throw new ConfigError(`${at}: expected TOKEN ROLE NAME (3 fields), found ${fields.length}`);
    const [token, role, name] = fields as [string, string, string];
    if (!TOKEN_ALPHABET.test(token)) throw new ConfigError(`${at}: the token holds a character outside A-Z a-z 0-9 + / = . _ ~ -`);
    if (token.length < MIN_TOKEN_LENGTH) throw new ConfigError(`${at}: the token is shorter than ${MIN_TOKEN_LENGTH} characters (make one with: openssl rand -base64 32)`);
    if (token.length > MAX_TOKEN_LENGTH) throw new ConfigError(`${at}: the token is longer than ${MAX_TOKEN_LENGTH} characters`);
    if (!(ROLES as readonly string[]).includes(role)) throw new ConfigError(`${at}: the role must be one of ${ROLES.join(', ')}`);
    if (!NAME_PATTERN.test(name)) throw new ConfigError(`${at}: the name must be 1 to 64 of A-Z a-z 0-9 . _ @ + - (starting with a letter or digit)`);
    const digest = tokenDigest(token);
    const sameToken = lineOfDigest.get(digest);
    if (sameToken !== undefined) throw new ConfigError(`${at}: the same token as line ${sameToken}`);
    const sameName = lineOfName.get(name);
    if (sameName !== undefined) throw new ConfigError(`${at}: the name ${name} is already on line ${sameName}`);
    lineOfDigest.set(digest, i + 1);
    lineOfName.set(name, i + 1);
    byDigest.set(digest, { name, role: role as Role });
  }
  if (byDigest.size === 0) throw new ConfigError(`tokens: ${file}: no tokens (one per line: TOKEN ROLE NAME)`);
  return new TokenTable(byDigest);
}

export interface TokenFile {
  table: TokenTable;
  /** Something to log as a warning (the file is world-readable), or null. */
  warning: string | null;
}

/** Reads and parses a token file: a regular file of at most MAX_TOKEN_FILE_BYTES. Throws ConfigError. */
export function readTokenFile(path: string): TokenFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new ConfigError(`tokens: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    // fstat on the open descriptor: the file checked is the file read.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfigError(`tokens: ${path}: not a regular file`);
    if (stat.size > MAX_TOKEN_FILE_BYTES) throw new ConfigError(`tokens: ${path}: larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
    const bytes = Buffer.alloc(MAX_TOKEN_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < bytes.length; length += n) n = readSync(fd, bytes, length, bytes.length - length, null);
    if (length > MAX_TOKEN_FILE_BYTES) throw new ConfigError(`tokens: ${path}: larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
    const table = parseTokens(bytes.subarray(0, length).toString('utf8'), path);
    const warning = (stat.mode & 0o004) !== 0 ? `tokens: ${path} is readable by every user of this machine: chmod 600 (or 640 with the daemon's group)` : null;
    return { table, warning };
  } finally {
    closeSync(fd);
  }
}
