/**
 * The TAXII client over https with a throwaway CA made by openssl: the
 * feed's `ca` (PEM text) is trusted instead of the system's; without it, or
 * with another CA, the poll fails with one line that says what to fix.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../../../test/support/binaries.js';
import { REFERENCE_USER, startReferenceTaxii, type ReferenceServer } from '../../../test/support/taxii-reference.js';
import { fetchTaxii, type TaxiiFeedSource } from './index.js';

const openssl = findBinary('openssl', 'openssl');

/** A CA and a server certificate for IP 127.0.0.1 it signed, in a new temporary folder. */
function throwawayPki(bin: string): { ca: string; otherCa: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-taxii-client-tls-'));
  const at = (name: string): string => join(dir, name);
  const run = (...args: string[]): void => void execFileSync(bin, args, { stdio: 'ignore' });
  const newCa = (name: string): void =>
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', at(`${name}.key`), '-out', at(`${name}.pem`));
  newCa('test-ca');
  newCa('other-ca');
  run('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', at('server.key'), '-out', at('server.csr'));
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  run('x509', '-req', '-in', at('server.csr'), '-CA', at('test-ca.pem'), '-CAkey', at('test-ca.key'), '-CAcreateserial', '-days', '1', '-extfile', at('server.ext'), '-out', at('server.pem'));
  const read = (name: string): string => readFileSync(at(name), 'utf8');
  return { ca: read('test-ca.pem'), otherCa: read('other-ca.pem'), cert: read('server.pem'), key: read('server.key') };
}

describe.skipIf(openssl.path === null)('taxii client over https', () => {
  let pki: ReturnType<typeof throwawayPki>;
  let server: ReferenceServer;
  beforeAll(async () => {
    pki = throwawayPki(openssl.path!);
    server = await startReferenceTaxii({ tls: { cert: pki.cert, key: pki.key } });
  });
  afterAll(() => server.close());
  const feed = (ca: string | null): TaxiiFeedSource => ({ url: `${server.origin}/taxii2/`, collection: 'High Value Indicator Collection', auth: REFERENCE_USER, ca, timeoutMs: 10_000, maxBytes: 1024 * 1024 });

  it('polls with the feed’s CA trusted', async () => {
    expect(server.origin).toMatch(/^https:/);
    const got = await fetchTaxii(feed(pki.ca), null);
    expect(got.objects).toHaveLength(8);
    expect(got.pages).toBe(4);
  });

  it('without the CA, or with another one, fails with one line naming TLS and the fix', async () => {
    for (const ca of [null, pki.otherCa]) {
      const message = await fetchTaxii(feed(ca), null).then(
        () => 'polled',
        (e: Error) => e.message,
      );
      expect(message).toMatch(/^taxii: https:\/\/127\.0\.0\.1:\d+\/taxii2\/: TLS: .+ \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)\); the feed's ca must hold the CA that issued the server's certificate$/);
    }
  });
});
