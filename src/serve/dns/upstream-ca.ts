/**
 * The CA bundle encrypted upstreams are verified against: `--upstream-ca
 * FILE` (fixed for the daemon's life, its contents re-read on SIGHUP) or
 * `serve.dns.upstreamCa` (the next config's path on SIGHUP); null = the
 * system roots. Node takes any bytes as a CA and simply trusts nothing it
 * cannot parse, so a truncated or wrong file would silently fail every
 * handshake: the bundle is checked here instead, every PEM block must be a
 * certificate and there must be one, and a bad file refuses the start (exit
 * 2) or the whole reload (the running CA stays). The bundle REPLACES the
 * system roots (Node's `ca`): a private CA is then the only one trusted, for
 * every encrypted upstream; to trust the public roots as well, concatenate
 * them into the file (see the README).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config/load.js';
import type { Config } from '../../config/schema.js';

export interface UpstreamCaSource {
  /** The file, or null for the system roots. */
  file: string | null;
  /** Given as a flag: a reload re-reads this file whatever the next config says. */
  fixed: boolean;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** How errors name where the file came from: the flag, or the config key. */
export function caSourceName(fixed: boolean): string {
  return fixed ? '--upstream-ca' : 'serve.dns.upstreamCa';
}

/** The bundle's bytes, or an Error naming its source (`name`), the file and what is wrong with it, in one line. */
export function readCaBundle(file: string, name = '--upstream-ca'): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`${name} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let certificates = 0;
  for (const block of bytes.toString('latin1').matchAll(PEM_BLOCK)) {
    if (block[1] !== 'CERTIFICATE') throw new Error(`${name} ${file}: holds a ${block[1]}, not only CA certificates`);
    try {
      new X509Certificate(block[0]);
    } catch {
      throw new Error(`${name} ${file}: certificate ${certificates + 1} cannot be parsed`);
    }
    certificates++;
  }
  if (certificates === 0) throw new Error(`${name} ${file}: no PEM certificate in it`);
  return bytes;
}

/**
 * The CA of the next config (SIGHUP), read and checked before anything is
 * taken: undefined for the system roots; null when there is no source
 * (nothing to reload). A bad file throws a ConfigError, which refuses the
 * whole reload.
 */
export function reloadUpstreamCa(source: UpstreamCaSource | undefined, next: Config): { ca: Buffer | undefined } | null {
  if (source === undefined) return null;
  const file = source.fixed ? source.file : next.serve.dns.upstreamCa;
  try {
    return { ca: file === null ? undefined : readCaBundle(file, caSourceName(source.fixed)) };
  } catch (err) {
    throw new ConfigError(`dns: ${(err as Error).message}`);
  }
}
