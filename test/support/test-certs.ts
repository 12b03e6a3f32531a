/**
 * A test CA and a server certificate for one name signed by it, made with
 * openssl in a folder of the test's own (never committed): for tests of TLS
 * listeners and upstreams.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './binaries.js';

export const openssl = findBinary('openssl', 'openssl');

/**
 * A test CA and a server certificate for `name` (and `moreNames`, e.g. a
 * wildcard) signed by it, made in `dir`. With `reuseCa`, the CA already in
 * `dir` signs a new server pair over the old files (a renewal, for reload tests).
 */
export function makeTestCertificates(dir: string, name: string, moreNames: string[] = [], options: { reuseCa?: boolean } = {}): { ca: string; cert: string; key: string } {
  const run = (args: string[]): void => {
    execFileSync(openssl.path!, args, { cwd: dir, stdio: 'pipe' });
  };
  if (options.reuseCa !== true) run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fluxhound test CA']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=${[name, ...moreNames].map((n) => `DNS:${n}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

