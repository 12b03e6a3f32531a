/**
 * The HTTP listener over TLS with a certificate made by the real openssl (a
 * CA and a leaf for 127.0.0.1), a client that trusts only that CA, and
 * SIGHUP (Daemon.reload) swapping a new certificate and a new token file in,
 * all or nothing; a client guessing tokens is throttled.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { HttpService } from '../src/serve/http/index.js';
import { waitFor } from './support/daemon.js';
import { quietDaemon } from './support/quiet-daemon.js';
import { newToken, writeTokenFile } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-http-tls-'));
const path = (name: string): string => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/** A leaf certificate for 127.0.0.1 signed by the test CA, with its own key. */
function leaf(name: string): { cert: string; key: string } {
  const cert = path(`${name}.pem`);
  const key = path(`${name}.key`);
  openssl('req', '-x509', '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'extendedKeyUsage=serverAuth');
  return { cert, key };
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** The CN of the server's certificate, and the TLS version. */
  peer?: string;
  protocol?: string | null;
}

function get(port: number, urlPath: string, token: string | null, tls: Record<string, unknown> | null, localAddress?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = token === null ? {} : { authorization: `Bearer ${token}` };
    const options = { host: '127.0.0.1', port, path: urlPath, headers, agent: false, localAddress, ...tls };
    const req = (tls === null ? httpRequest : httpsRequest)(options, (res) => {
      const socket = res.socket as TLSSocket;
      const peer = tls === null ? undefined : String(socket.getPeerCertificate().subject.CN);
      const protocol = tls === null ? undefined : socket.getProtocol();
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, peer, protocol }));
    });
    req.on('error', reject);
    req.end();
  });
}

const config = defaultConfig();
const daemon = quietDaemon(config);
const tokens = writeTokenFile(dir);
let http: HttpService;
let trust: Record<string, unknown>;

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path('ca.key'), '-out', path('ca.pem'),
    '-days', '2', '-subj', '/CN=fluxhound test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  const first = leaf('leaf-1');
  copyFileSync(first.cert, path('server.pem'));
  copyFileSync(first.key, path('server.key'));
  trust = { ca: readFileSync(path('ca.pem')) };
  http = new HttpService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, tls: { cert: path('server.pem'), key: path('server.key') } });
  daemon.services.push(http);
  await daemon.start();
});

afterAll(async () => {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTPS', () => {
  it('serves /health over TLS 1.3 (and 1.2) to a client trusting the CA, with HSTS; 401 without a token', async () => {
    const ok = await get(http.port, '/health', tokens.read, trust);
    expect(ok).toMatchObject({ status: 200, peer: 'leaf-1', protocol: 'TLSv1.3' });
    expect(ok.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(await get(http.port, '/health', tokens.read, { ...trust, maxVersion: 'TLSv1.2' })).toMatchObject({ status: 200, protocol: 'TLSv1.2' });
    expect((await get(http.port, '/health', null, trust)).status).toBe(401);
  });

  it('refuses TLS 1.1, an untrusting client and plain HTTP; the connections are gone from the governor', async () => {
    await expect(get(http.port, '/health', tokens.read, { ...trust, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(/protocol|version/i);
    await expect(get(http.port, '/health', tokens.read, {})).rejects.toThrow(/self[- ]signed|unable to verify|issuer/i);
    await expect(get(http.port, '/health', tokens.read, null)).rejects.toThrow(/socket hang up|ECONNRESET/);
    await waitFor('the refused connections to close', () => http.gate.size === 0, 5000);
  });

  it('SIGHUP: a new certificate is served to new connections; a key that does not match it refuses the whole reload', async () => {
    const second = leaf('leaf-2');
    copyFileSync(second.cert, path('server.pem'));
    copyFileSync(second.key, path('server.key'));
    expect(await daemon.reload()).toBe(true);
    expect(await get(http.port, '/health', tokens.read, trust)).toMatchObject({ status: 200, peer: 'leaf-2' });

    const third = leaf('leaf-3');
    copyFileSync(third.cert, path('server.pem'));
    // server.key is still leaf-2's key.
    const newTokens = `${newToken()} admin newcomer\n`;
    const before = readFileSync(tokens.file);
    writeFileSync(tokens.file, newTokens);
    await expect(http.prepareReload(config)).rejects.toThrow(/the key does not belong to the certificate/);
    expect(await daemon.reload()).toBe(false);
    // All or nothing: the old certificate and the old tokens stay.
    expect(await get(http.port, '/health', tokens.read, trust)).toMatchObject({ status: 200, peer: 'leaf-2' });
    writeFileSync(tokens.file, before);
    copyFileSync(second.cert, path('server.pem'));
  });

  it('SIGHUP: a new token file replaces the old one; a bad one leaves the old tokens', async () => {
    const fresh = newToken();
    writeFileSync(tokens.file, `${fresh} read rotated\n`);
    expect(await daemon.reload()).toBe(true);
    expect((await get(http.port, '/health', tokens.read, trust)).status).toBe(401);
    expect((await get(http.port, '/api/v1/nothing', fresh, trust)).status).toBe(404);
    writeFileSync(tokens.file, `${newToken()} superuser rotated\n`);
    expect(await daemon.reload()).toBe(false);
    expect((await get(http.port, '/health', fresh, trust)).status).toBe(200);
    writeFileSync(tokens.file, `${tokens.read} read reader\n`);
    expect(await daemon.reload()).toBe(true);
  });

  it('many bad tokens from one client: 429 with Retry-After after 10; a good token still passes; other clients go on', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await get(http.port, '/metrics', newToken(), trust, '127.0.0.2')).status);
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429, 429]);
    expect((await get(http.port, '/metrics', tokens.read, trust, '127.0.0.2')).status).toBe(200);
    const held = await get(http.port, '/metrics', newToken(), trust, '127.0.0.2');
    expect(held.status).toBe(429);
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(held.body)).toEqual({ error: 'too many bad tokens from this address: try again later' });
    const metrics = await get(http.port, '/metrics', tokens.read, trust, '127.0.0.1');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^fluxhound_http_auth_failures_total\{reason="throttled"\} 3$/m);
    expect(metrics.body).toMatch(/^fluxhound_http_auth_failures_total\{reason="invalid"\} (1[0-9]|[2-9][0-9])$/m);
  });
});
