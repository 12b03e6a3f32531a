/**
 * The listener's certificate and key, read into one TLS context (TLS 1.2
 * and later only). Read at start and again on SIGHUP: a file that cannot be
 * read or parsed, or a key that does not belong to the certificate, is
 * refused in one line and the running context stays.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
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
  const cert = readPem(files.cert, 'certificate', name);
  const key = readPem(files.key, 'key', name);
  try {
    return createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' ? 'the key does not belong to the certificate' : (e.message.split('\n', 1)[0] ?? 'unreadable');
    throw new ConfigError(`${name}: TLS ${files.cert} / ${files.key}: ${why}`);
  }
}
