/**
 * Encrypted DNS with real clients against the real built daemon: `fluxhound
 * serve --dns --dot --doh --block-page` (a certificate for dns.test from a
 * test CA openssl makes here; an intel feed lists flux-cdn.test; a scripted
 * upstream on UDP and TCP answers every A question), asked by
 *  - kdig (knot-dnsutils) +tls, +https (POST) and +https-get, verifying the
 *    CA and the name: answers, a block (NXDOMAIN), a refusal of a
 *    certificate for another name, and after a SIGHUP that switches the
 *    policy to sinkhole, the block page's address;
 *  - dig (BIND 9.18) +tls and +https with +tls-ca and +tls-hostname;
 *  - Chromium (Debian's, through playwright-core) set to secure DNS with
 *    fluxhound's DoH as its only resolver (Local State prefs
 *    dns_over_https.mode=secure and .templates, as the Settings page writes
 *    them): it opens a page on a name only fluxhound's upstream knows, does
 *    not resolve a blocked name, and shows fluxhound's block page for a
 *    sinkholed name. The same browser without trust in the certificate
 *    resolves nothing: secure mode never falls back to the system resolver,
 *    so a page that opens was resolved over fluxhound's DoH.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnsweringAuthority, type AnsweringAuthority } from '../support/answer-all.js';
import { findBinary } from '../support/binaries.js';
import { requireBuilt, spawnFluxhound, type RunningDaemon } from '../support/cli.js';
import { freePort, waitFor } from '../support/daemon.js';
import { makeTestCertificates, openssl } from '../support/test-certs.js';
import { writeTokenFile, type TestTokens } from '../support/tokens.js';

const kdig = findBinary('kdig', 'knot-dnsutils');
const dig = findBinary('dig', 'bind9-dnsutils');
const browserBinary = findBinary('chromium', 'chromium');
const ready = openssl.path !== null && kdig.path !== null && dig.path !== null;

/** The certificate's name: what a phone's Private DNS setting or a browser's DoH URL holds. */
const SERVICE = 'dns.test';
/** Listed by the intel feed (action block): blocked with everything under it. */
const LISTED = 'www.flux-cdn.test';
/** Known to the scripted upstream only: a browser that opens it resolved it through fluxhound. */
const ONLY_DOH = 'site.only-doh.test';

interface Ports {
  dns: number;
  dot: number;
  doh: number;
  page: number;
  http: number;
  web: number;
}

/** Distinct free loopback ports (freePort may hand the same one out twice in a row). */
async function freePorts(): Promise<Ports> {
  const taken = new Set<number>();
  while (taken.size < 6) taken.add(await freePort());
  const [dns, dot, doh, page, http, web] = [...taken] as [number, number, number, number, number, number];
  return { dns, dot, doh, page, http, web };
}

/** kdig or dig, output and errors together; async so the test's own servers keep answering. */
function run(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 15_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

/** base64 SHA-256 of the certificate's public key (SPKI): what Chromium's --ignore-certificate-errors-spki-list trusts. */
function spkiHash(certificate: string): string {
  const der = execFileSync(openssl.path!, ['x509', '-in', certificate, '-pubkey', '-noout']);
  const spki = execFileSync(openssl.path!, ['pkey', '-pubin', '-outform', 'der'], { input: der });
  return execFileSync(openssl.path!, ['dgst', '-sha256', '-binary'], { input: spki }).toString('base64');
}

describe.skipIf(!ready)('encrypted DNS with real clients (built fluxhound, kdig, dig, Chromium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-encrypted-'));
  const configPath = join(dir, 'fluxhound.yaml');
  const queryLog = join(dir, 'queries.ndjson');
  let files: { ca: string; cert: string; key: string };
  let ports: Ports;
  let upstream: AnsweringAuthority;
  let daemon: RunningDaemon;
  let tokens: TestTokens;
  let site: Server;

  const writeConfig = (action: 'nxdomain' | 'sinkhole'): void => {
    // The sinkhole address is the block page's; every query is logged (sample 1) so the browser's show up.
    writeFileSync(configPath, `policy:\n  fastFlux: ${action}\n  sinkhole:\n    ipv4: 127.0.0.1\nserve:\n  querylog:\n    sample: 1\n`);
  };

  beforeAll(async () => {
    requireBuilt();
    files = makeTestCertificates(dir, SERVICE);
    ports = await freePorts();
    upstream = await startAnsweringAuthority((name) => (name === ONLY_DOH || name === LISTED ? '127.0.0.1' : '192.0.2.1'), 0, { tcp: true });
    writeFileSync(join(dir, 'flux.txt'), 'flux-cdn.test\n');
    writeConfig('nxdomain');
    tokens = writeTokenFile(dir);
    site = createServer((req, res) => res.end(`hello from ${req.headers.host ?? ''}`));
    await new Promise<void>((resolve) => site.listen(ports.web, '127.0.0.1', resolve));
    daemon = spawnFluxhound([
      'serve', '-c', configPath, '--no-store', '--no-flags', '--rate-limit', '0',
      '--dns', `127.0.0.1:${ports.dns}`, '--upstream', `127.0.0.1:${upstream.port}`,
      '--dot', `127.0.0.1:${ports.dot}`, '--dot-cert', files.cert, '--dot-key', files.key,
      '--doh', `127.0.0.1:${ports.doh}`, '--doh-cert', files.cert, '--doh-key', files.key,
      '--block-page', `127.0.0.1:${ports.page}`, '--http', `127.0.0.1:${ports.http}`, '--api-tokens', tokens.file,
      '--intel', `${join(dir, 'flux.txt')},name=partner,action=block`, '--querylog-ndjson', queryLog,
    ]);
    await waitFor('DoT and DoH to answer', async () => /status: NOERROR/.test(await kdigTls('www.example.test')) && /status: NOERROR/.test(await kdigHttps('www.example.test')), 30_000, 250);
  }, 90_000);

  afterAll(async () => {
    daemon?.child.kill('SIGTERM');
    if (daemon !== undefined) expect(await daemon.exited).toBe(0);
    await upstream?.close();
    await new Promise<void>((resolve) => (site === undefined ? resolve() : site.close(() => resolve())));
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const verify = (hostname = SERVICE): string[] => [`+tls-ca=${files.ca}`, `+tls-hostname=${hostname}`];
  const kdigTls = (name: string, hostname?: string): Promise<string> => run(kdig.path!, ['@127.0.0.1', '-p', String(ports.dot), '+tls', ...verify(hostname), 'A', name]);
  const kdigHttps = (name: string, mode = '+https', hostname?: string): Promise<string> => run(kdig.path!, ['@127.0.0.1', '-p', String(ports.doh), mode, ...verify(hostname), 'A', name]);
  const digAsk = (mode: '+tls' | '+https' | '+https-get', name: string): Promise<string> =>
    run(dig.path!, ['@127.0.0.1', '-p', String(mode === '+tls' ? ports.dot : ports.doh), mode, ...verify(), '+tries=1', '+time=5', 'A', name]);

  /**
   * Opens `url` in Chromium with a fresh profile whose Local State sets secure DNS (no fallback) to
   * fluxhound's DoH, the server's address given by the JSON form's endpoints (no bootstrap lookup);
   * `trust` adds the certificate's key to the keys Chromium accepts (no NSS database needed).
   */
  async function browse(url: string, trust: boolean): Promise<{ text: string } | { error: string }> {
    const profile = mkdtempSync(join(dir, 'chromium-'));
    const template = `https://${SERVICE}:${ports.doh}/dns-query{?dns}`;
    const templates = JSON.stringify({ servers: [{ template, endpoints: [{ ips: ['127.0.0.1'] }] }] });
    writeFileSync(join(profile, 'Local State'), JSON.stringify({ dns_over_https: { mode: 'secure', templates } }));
    const args = trust ? [`--ignore-certificate-errors-spki-list=${spkiHash(files.cert)}`] : [];
    const context = await chromium.launchPersistentContext(profile, { executablePath: browserBinary.path!, headless: true, args });
    try {
      const page = await context.newPage();
      const failed = await page.goto(url, { timeout: 20_000 }).then(
        () => null,
        (err: Error) => err.message.split('\n')[0]!,
      );
      return failed === null ? { text: (await page.textContent('body')) ?? '' } : { error: failed };
    } finally {
      await context.close();
    }
  }

  it('answers kdig over TLS, over HTTPS POST and GET, with the CA and the name verified', async () => {
    const tls = await kdigTls('www.example.test');
    expect(tls).toMatch(/TLS session \(TLS1\.3\)/);
    expect(tls).toMatch(/www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
    const post = await kdigHttps('www.example.test');
    expect(post).toMatch(/HTTP session \(HTTP\/2-POST\)-\(dns\.test\/dns-query\)-\(status: 200\)/);
    expect(post).toMatch(/www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
    const get = await kdigHttps('get.example.test', '+https-get');
    expect(get).toMatch(/HTTP session \(HTTP\/2-GET\)/);
    expect(get).toMatch(/get\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
  });

  it('blocks a name an intel feed lists (policy.fastFlux nxdomain) over TLS and both HTTPS forms', async () => {
    for (const out of [await kdigTls(LISTED), await kdigHttps(LISTED), await kdigHttps(LISTED, '+https-get')]) {
      expect(out).toMatch(/status: NXDOMAIN/);
      expect(out).not.toMatch(/IN\s+A\s+127\.0\.0\.1/);
    }
  });

  it('answers and blocks for dig (BIND 9.18) +tls and +https, verifying the CA and the name', async () => {
    for (const mode of ['+tls', '+https', '+https-get'] as const) {
      const answer = await digAsk(mode, 'www.example.test');
      expect(answer, mode).toMatch(/status: NOERROR/);
      expect(answer, mode).toMatch(/www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
      expect(answer, mode).toMatch(mode === '+tls' ? /\(TLS\)/ : /\(HTTPS(-GET)?\)/);
      expect(await digAsk(mode, LISTED), mode).toMatch(/status: NXDOMAIN/);
    }
  });

  it('is refused by kdig when the certificate does not carry the name asked for', async () => {
    for (const out of [await kdigTls('www.example.test', 'other.test'), await kdigHttps('www.example.test', '+https', 'other.test')]) {
      expect(out).not.toMatch(/status: NOERROR/);
      expect(out).toMatch(/TLS, handshake failed \(Error in the certificate\.\)/);
    }
  });

  describe.skipIf(browserBinary.missing !== null)('Chromium with secure DNS set to fluxhound', () => {
    async function metric(line: RegExp): Promise<number> {
      const res = await fetch(`http://127.0.0.1:${ports.http}/metrics`, { headers: { authorization: `Bearer ${tokens.read}` } });
      const found = line.exec(await res.text());
      return found === null ? 0 : Number(found[1]);
    }

    it('opens a page on a name only fluxhound resolves, over its DoH; without trust in the certificate, nothing resolves', async () => {
      const acceptedBefore = await metric(/^fluxhound_net_connections_accepted_total\{listener="dns-doh"\} (\d+)/m);
      const untrusted = await browse(`http://${ONLY_DOH}:${ports.web}/`, false);
      expect(untrusted).toMatchObject({ error: expect.stringMatching(/ERR_NAME_NOT_RESOLVED/) });
      const opened = await browse(`http://${ONLY_DOH}:${ports.web}/`, true);
      expect(opened).toEqual({ text: `hello from ${ONLY_DOH}:${ports.web}` });
      expect(await metric(/^fluxhound_net_connections_accepted_total\{listener="dns-doh"\} (\d+)/m)).toBeGreaterThan(acceptedBefore);
      await waitFor('the browser query in the query log', () => readFileSync(queryLog, 'utf8').includes(`"name":"${ONLY_DOH}"`), 10_000);
    }, 90_000);

    it('does not resolve a blocked name', async () => {
      expect(await browse(`http://${LISTED}:${ports.web}/`, true)).toMatchObject({ error: expect.stringMatching(/ERR_NAME_NOT_RESOLVED/) });
    }, 60_000);
  });

  // Last: it changes the policy for the daemon's remaining life.
  it('after SIGHUP switches policy.fastFlux to sinkhole, answers the block page address over TLS and HTTPS, and Chromium shows the block page', async () => {
    writeConfig('sinkhole');
    daemon.child.kill('SIGHUP');
    await waitFor('the reload', () => daemon.stderr().includes('config reloaded'), 15_000);
    for (const out of [await kdigTls(LISTED), await kdigHttps(LISTED), await kdigHttps(LISTED, '+https-get'), await digAsk('+tls', LISTED), await digAsk('+https', LISTED)]) {
      expect(out).toMatch(/status: NOERROR/);
      expect(out).toMatch(/www\.flux-cdn\.test\.\s+60\s+IN\s+A\s+127\.0\.0\.1/);
    }
    if (browserBinary.missing !== null) return;
    // What the person behind the browser sees: the block page naming the name, reached through fluxhound's DoH.
    const shown = await browse(`http://${LISTED}:${ports.page}/`, true);
    expect(shown).toMatchObject({ text: expect.stringContaining(LISTED) });
  }, 90_000);
});
