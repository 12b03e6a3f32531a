/**
 * The listener's certificate and key, read into one TLS context (TLS 1.2
 * and later only). Read at start and again on SIGHUP: a file that cannot be
 * read or parsed, or a key that does not belong to the certificate, is
 * refused in one line and the running context stays.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '../../config/load.js';

export interface TlsFiles {
  cert: string;
  key: string;
}

function readPem(path: string, what: string, name: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read the TLS ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** `name`: the start of the one-line error ('http', 'taxii', 'dns'). */
export function loadTlsContext(files: TlsFiles, name = 'http'): SecureContext {
  return tlsContextOf(readTlsPem(files, name), files, name);
}

/** The PEM bytes of a certificate and its key, read once (a context can then be rebuilt without reading the files again). */
export function readTlsPem(files: TlsFiles, name: string): { cert: Buffer; key: Buffer } {
  return { cert: readPem(files.cert, 'certificate', name), key: readPem(files.key, 'key', name) };
}

/**
 * A TLS 1.2+ context of PEM bytes read from `files` (named in the error);
 * `extra`: session options (ticket keys, session lifetime, session ID context).
 */
export function tlsContextOf(pem: { cert: Buffer; key: Buffer }, files: TlsFiles, name: string, extra: Pick<SecureContextOptions, 'ticketKeys' | 'sessionTimeout' | 'sessionIdContext'> = {}): SecureContext {
  const { cert, key } = pem;
  try {
    return createSecureContext({ cert, key, minVersion: 'TLSv1.2', ...extra });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' ? 'the key does not belong to the certificate' : (e.message.split('\n', 1)[0] ?? 'unreadable');
    throw new ConfigError(`${name}: TLS ${files.cert} / ${files.key}: ${why}`);
  }
}
