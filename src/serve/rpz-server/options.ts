/**
 * The rpz-server flags, parsed once at start-up: ADDRESS:PORT endpoints, the
 * transfer ACL and the TSIG key (`name:secret` or a BIND key file as
 * tsig-keygen writes it). Every mistake is one UsageError line.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UsageError } from '../../model/errors.js';
import { ClientAcl } from '../acl.js';
import { isLoopback } from '../endpoint.js';
import { makeKey } from './tsig.js';
import type { TsigKey } from './tsig.js';
import type { Endpoint } from './notify.js';
import { nameToWire, WireError } from './wire.js';

/** '127.0.0.1:5300', '[::1]:5300'; a bare address takes `defaultPort`. */
export function parseEndpoint(text: string, flag: string, defaultPort: number | null = null): Endpoint {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  const host = m?.[1] ?? text;
  const portText = m?.[2];
  if (m === null || isIP(host) === 0) throw new UsageError(`serve: ${flag} takes ADDRESS:PORT (an IP address, IPv6 in brackets), not '${text}'`);
  if (portText === undefined && defaultPort === null) throw new UsageError(`serve: ${flag} needs a port: '${text}:PORT'`);
  const port = portText === undefined ? defaultPort! : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`serve: ${flag}: bad port in '${text}'`);
  return { host, port };
}

/** The transfer ACL from CIDRs (a bare address is a /32 or /128); the default is loopback only. */
export function parseAcl(cidrs: readonly string[] | undefined): (address: string) => boolean {
  let acl: ClientAcl;
  try {
    acl = new ClientAcl(cidrs ?? ['127.0.0.0/8', '::1/128'], '--rpz-allow');
  } catch (err) {
    throw new UsageError(`serve: ${(err as Error).message}; give CIDRs such as 192.0.2.0/24 or 2001:db8::/32`);
  }
  return (address: string) => acl.allows(address);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Shortest secret accepted, bytes (tsig-keygen makes 32 for hmac-sha256). */
const MIN_SECRET = 16;

/** A key from its name, algorithm and base64 secret, or a one-line reason. */
export function keyFrom(name: string, algorithm: string, secret: string, where: string): TsigKey {
  try {
    nameToWire(name.endsWith('.') ? name : `${name}.`);
  } catch (err) {
    if (err instanceof WireError) throw new UsageError(`serve: ${where}: bad key name '${name}': ${err.message}`);
    throw err;
  }
  if (name.length === 0) throw new UsageError(`serve: ${where}: empty key name`);
  if (algorithm.toLowerCase().replace(/\.$/, '') !== 'hmac-sha256') {
    throw new UsageError(`serve: ${where}: algorithm '${algorithm}' is not supported; use hmac-sha256 (tsig-keygen -a hmac-sha256)`);
  }
  const s = secret.replace(/\s+/g, '');
  if (!BASE64.test(s) || s.length % 4 !== 0) throw new UsageError(`serve: ${where}: the secret of key '${name}' is not base64`);
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length < MIN_SECRET) throw new UsageError(`serve: ${where}: the secret of key '${name}' has ${bytes.length} bytes; use at least ${MIN_SECRET} (tsig-keygen makes 32)`);
  return makeKey(name, bytes);
}

/** `--tsig-key name:secret` (an optional 'hmac-sha256:' first, as dig -y takes it). */
export function parseKeyFlag(text: string): TsigKey {
  const parts = text.split(':');
  if (parts.length === 3) return keyFrom(parts[1]!, parts[0]!, parts[2]!, '--tsig-key');
  if (parts.length !== 2) throw new UsageError(`serve: --tsig-key takes NAME:SECRET (base64), as dig -y does`);
  return keyFrom(parts[0]!, 'hmac-sha256', parts[1]!, '--tsig-key');
}

/**
 * A BIND key file: `key "name" { algorithm hmac-sha256; secret "base64"; };`
 * (comments allowed). Exactly one key.
 */
export function parseKeyFile(text: string, file: string): TsigKey {
  const clean = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|\s)(#|\/\/)[^\n]*/g, ' ');
  const keys = [...clean.matchAll(/key\s+"?([^"\s{]+)"?\s*\{([^}]*)\}\s*;?/g)];
  if (keys.length !== 1) throw new UsageError(`serve: --tsig-key-file ${file}: expected one key "NAME" { algorithm hmac-sha256; secret "..."; }; found ${keys.length}`);
  const [, name = '', body = ''] = keys[0]!;
  const algorithm = /algorithm\s+"?([^";\s]+)"?\s*;/.exec(body)?.[1];
  const secret = /secret\s+"([^"]*)"\s*;/.exec(body)?.[1];
  if (algorithm === undefined) throw new UsageError(`serve: --tsig-key-file ${file}: key '${name}' has no algorithm`);
  if (secret === undefined) throw new UsageError(`serve: --tsig-key-file ${file}: key '${name}' has no secret "..."`);
  return keyFrom(name, algorithm, secret, `--tsig-key-file ${file}`);
}

export function readKeyFile(file: string): TsigKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`serve: --tsig-key-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseKeyFile(text, file);
}

export interface RpzServerFlags {
  listen: Endpoint;
  notify: Endpoint[];
  allow: (address: string) => boolean;
  key: TsigKey | null;
  keyFile: string | null;
}

/** All rpz-server flags → options, or null when --rpz-server is absent. */
export function parseFlags(flags: Record<string, unknown>): RpzServerFlags | null {
  const server = flags.rpzServer;
  const others = ['rpzNotify', 'rpzAllow', 'tsigKey', 'tsigKeyFile'].filter((f) => flags[f] !== undefined);
  if (server === undefined) {
    if (others.length > 0) throw new UsageError(`serve: --${kebab(others[0]!)} needs --rpz-server ADDRESS:PORT`);
    return null;
  }
  const listen = parseEndpoint(String(server), '--rpz-server');
  const allowList = flags.rpzAllow as string[] | undefined;
  if (!isLoopback(listen.host) && allowList === undefined) {
    throw new UsageError(`serve: --rpz-server ${String(server)} is not a loopback address; say who may transfer the zone with --rpz-allow CIDR...`);
  }
  const notify = ((flags.rpzNotify as string[] | undefined) ?? []).map((t) => parseEndpoint(t, '--rpz-notify', 53));
  if (flags.tsigKey !== undefined && flags.tsigKeyFile !== undefined) throw new UsageError('serve: give --tsig-key or --tsig-key-file, not both');
  const keyFile = flags.tsigKeyFile === undefined ? null : String(flags.tsigKeyFile);
  const key = keyFile !== null ? readKeyFile(keyFile) : flags.tsigKey !== undefined ? parseKeyFlag(String(flags.tsigKey)) : null;
  return { listen, notify, allow: parseAcl(allowList), key, keyFile };
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
