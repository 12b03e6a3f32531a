/**
 * DNS over HTTPS in the real built daemon (`fluxhound serve --dns --doh
 * --block-page --http --store --intel`), asked by real clients: a name a
 * block feed lists, asked by kdig +https and BIND dig +https at /dns-query/acme, gets the
 * sinkhole address exactly as kdig gets it over UDP; the block page of that
 * daemon names it; the query log (NDJSON), the console's customer API and
 * acme's transparency report attribute the block to acme, though 127.0.0.1
 * is not acme's network. HTTP/1.1 answers (curl --http1.1), and SIGHUP swaps
 * the DoH certificate for one from another CA with the daemon running.
 */
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from './support/binaries.js';
import { CLI, requireBuilt, ROOT } from './support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from './support/daemon.js';
import { startFixedUpstream, type AnsweringAuthority } from './support/answer-all.js';
import { makeTestCertificates } from './support/test-certs.js';
import { fetchWithToken, writeTokenFile, type TestTokens } from './support/tokens.js';

const kdig = findBinary('kdig', 'knot-dnsutils');
const curl = findBinary('curl', 'curl');
const bindDig = findBinary('dig', 'bind9-dnsutils');
const promtool = findBinary('promtool', 'prometheus');
const skip = [kdig, bindDig, curl, promtool].some((b) => b.missing !== null) && process.env.CI !== 'true';
const HOST = 'doh.fluxhound.test';
/** partner-a lists it (test/fixtures/intel/partner-a.txt); action block → policy.fastFlux = sinkhole. */
const LISTED = 'listed-flux.test';

let upstream: AnsweringAuthority;
let dir = '';
let first: { ca: string; cert: string; key: string };
let second: { ca: string; cert: string; key: string };
let tokens: TestTokens;
let daemon: Daemon;
const ports = { dns: 0, doh: 0, page: 0, http: 0 };

/** kdig over UDP or DoH (`+https[=PATH]` among `more`); asynchronous, output whatever the exit. */
function dig(more: string[], name: string, ca = first.ca): Promise<string> {
  const doh = more.some((m) => m.startsWith('+https'));
  const args = ['@127.0.0.1', '-p', String(doh ? ports.doh : ports.dns), ...(doh ? [`+tls-ca=${ca}`, `+tls-hostname=${HOST}`] : []), ...more, '+timeout=3', '+retry=0', name, 'A'];
  return new Promise((resolve) => execFile(kdig.path!, args, { encoding: 'utf8' }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)));
}

/** The ANSWER SECTION lines of kdig's output, whitespace folded. */
function answerSection(output: string): string[] {
  const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(`${output}\n\n`)?.[1] ?? '';
  return section.split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/).join(' '));
}

/** Whether a TLS client trusting `ca` completes a handshake with the DoH listener as HOST. */
function trusts(ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: ports.doh, servername: HOST, ca: readFileSync(ca), ALPNProtocols: ['h2'] }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

beforeAll(async () => {
  if (skip) return;
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-doh-daemon-'));
  for (const sub of ['first', 'second']) mkdirSync(join(dir, sub));
  first = makeTestCertificates(join(dir, 'first'), HOST);
  second = makeTestCertificates(join(dir, 'second'), HOST);
  // The daemon reads these two paths; the SIGHUP test copies the second pair over them.
  copyFileSync(first.cert, join(dir, 'doh.pem'));
  copyFileSync(first.key, join(dir, 'doh.key'));
  tokens = writeTokenFile(dir);
  upstream = await startFixedUpstream();
  for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
  const config = join(dir, 'fluxhound.yaml');
  writeFileSync(config, ['policy:', '  fastFlux: sinkhole', 'customers:', '  - { id: acme, name: Acme, networks: ["198.51.100.0/24"] }', ''].join('\n'));
  daemon = startDaemon(process.execPath, [
    CLI, 'serve', '--no-flags', '--log-level', 'info', '--config', config,
    '--dns', `127.0.0.1:${ports.dns}`, '--upstream', `127.0.0.1:${upstream.port}`, '--rate-limit', '0',
    '--doh', `127.0.0.1:${ports.doh}`, '--doh-cert', join(dir, 'doh.pem'), '--doh-key', join(dir, 'doh.key'),
    '--block-page', `127.0.0.1:${ports.page}`,
    '--http', `127.0.0.1:${ports.http}`, '--api-tokens', tokens.file,
    '--store', join(dir, 'fluxhound.db'),
    '--intel', `${join(ROOT, 'test', 'fixtures', 'intel', 'partner-a.txt')},name=partner-a,action=block,confidence=80`,
    '--querylog-ndjson', join(dir, 'querylog.ndjson'),
  ]);
  await waitFor('the daemon', async () => /DNS over HTTPS/.test(daemon.output()) && (await fetchWithToken(`http://127.0.0.1:${ports.http}/health`, tokens.read).catch(() => null))?.status === 200, 30_000);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await upstream?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('fluxhound serve --doh (the built daemon)', () => {
  it('sinkholes a listed name over DoH exactly as over UDP, and its block page names it', async () => {
    const overDoh = await dig(['+https=/dns-query/acme'], LISTED);
    expect(overDoh, daemon.output()).toMatch(/HTTP\/2-POST\)-\(doh\.fluxhound\.test\/dns-query\/acme\)-\(status: 200\)/);
    expect(answerSection(overDoh)).toEqual([`${LISTED}. 60 IN A 127.0.0.1`]);
    const overUdp = await dig([], LISTED);
    expect(answerSection(overUdp)).toEqual(answerSection(overDoh));
    // BIND's dig (9.18, +https) gets the same; its query, too, is acme's (the next test counts both).
    const bind = await new Promise<string>((resolve) => {
      const args = ['@127.0.0.1', '-p', String(ports.doh), '+https=/dns-query/acme', `+tls-ca=${first.ca}`, `+tls-hostname=${HOST}`, '+time=3', '+tries=1', LISTED, 'A'];
      execFile(bindDig.path!, args, { encoding: 'utf8' }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
    expect(bind).toMatch(/\(HTTPS\)/);
    expect(answerSection(bind)).toEqual(answerSection(overDoh));
    const page = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: ports.page, path: '/', headers: { host: LISTED } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain(LISTED);
    expect(page.body).toContain('partner-a');
  });

  it('attributes the DoH block to acme in the query log, the customer API and the report', async () => {
    const log = join(dir, 'querylog.ndjson');
    // The queries of the first test: kdig over DoH at /dns-query/acme, over UDP from the same address, dig over DoH at /dns-query/acme.
    const entries = await waitFor('the query-log lines', () => {
      if (!existsSync(log)) return undefined;
      const lines = readFileSync(log, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
      const listed = lines.filter((e) => e.name === LISTED);
      return listed.length >= 3 ? listed : undefined;
    }, 10_000);
    expect(entries.map((e) => e.customer)).toEqual(['acme', null, 'acme']);
    expect(entries[0]).toMatchObject({ client: '127.0.0.1', action: 'sinkhole', rule: 'intel' });
    const detail = await waitFor('acme in the API', async () => {
      const body = (await (await fetchWithToken(`http://127.0.0.1:${ports.http}/api/v1/customers/acme`, tokens.read)).json()) as { totals: { blocked: number }; top_blocked: { name: string }[] };
      return body.totals.blocked >= 2 && body.top_blocked.length > 0 ? body : undefined;
    }, 15_000);
    expect(detail.top_blocked[0]).toMatchObject({ name: LISTED, count: 2 });
    const report = await (await fetchWithToken(`http://127.0.0.1:${ports.http}/api/v1/customers/acme/report`, tokens.read)).json();
    expect(JSON.stringify(report)).toContain(LISTED);
    // Nobody may invent a customer: a path naming none is 404, and nothing is recorded for it.
    const query = packet.encode({ type: 'query', id: 0, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: LISTED, class: 'IN' }] }).toString('base64url');
    const unknown = await new Promise<string>((resolve) => {
      execFile(curl.path!, ['-sS', '-w', ' %{http_code}', '--cacert', first.ca, '--resolve', `${HOST}:${ports.doh}:127.0.0.1`, `https://${HOST}:${ports.doh}/dns-query/globex?dns=${query}`], { encoding: 'utf8' }, (_err, stdout) => resolve(stdout));
    });
    expect(unknown).toBe('no such customer\n 404');
    const metrics = await (await fetchWithToken(`http://127.0.0.1:${ports.http}/metrics`, tokens.read)).text();
    expect(metrics).toMatch(/^fluxhound_dns_unknown_customers_total\{proto="https"\} 1$/m);
    expect(metrics).toMatch(/^fluxhound_dns_queries_total\{proto="https"\} 2$/m);
    expect(metrics).toMatch(/^fluxhound_dns_doh_requests_total\{method="(POST|GET)",version="2\.0"\} \d+$/m);
    // With DoH traffic in every fluxhound_dns_doh_* family, Prometheus's own linter has nothing to say.
    const check = spawnSync(promtool.path!, ['check', 'metrics'], { input: metrics, encoding: 'utf8', timeout: 10_000 });
    expect(check.error).toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
  }, 30_000);

  it('answers HTTP/1.1 (curl --http1.1) with the wire message and its max-age', async () => {
    const query = packet.encode({ type: 'query', id: 0, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'www.example.test', class: 'IN' }] }).toString('base64url');
    const out = await new Promise<{ headers: string; body: Buffer }>((resolve) => {
      execFile(curl.path!, ['-sS', '--http1.1', '-D', '-', '--cacert', first.ca, '--resolve', `${HOST}:${ports.doh}:127.0.0.1`, `https://${HOST}:${ports.doh}/dns-query?dns=${query}`], { encoding: 'buffer' }, (_err, stdout) => {
        const cut = stdout.indexOf('\r\n\r\n');
        resolve({ headers: stdout.subarray(0, cut).toString('latin1'), body: stdout.subarray(cut + 4) });
      });
    });
    expect(out.headers).toMatch(/^HTTP\/1\.1 200/);
    expect(out.headers).toMatch(/content-type: application\/dns-message/i);
    expect(out.headers).toMatch(/cache-control: max-age=60/i);
    expect(packet.decode(out.body).answers?.[0]).toMatchObject({ name: 'www.example.test', data: '192.0.2.1' });
  });

  it('swaps the certificate on SIGHUP: the next connection shows the new one', async () => {
    expect(await trusts(first.ca)).toBe(true);
    expect(await trusts(second.ca)).toBe(false);
    copyFileSync(second.cert, join(dir, 'doh.pem'));
    copyFileSync(second.key, join(dir, 'doh.key'));
    daemon.process.kill('SIGHUP');
    await waitFor('the new certificate', async () => (await trusts(second.ca)) || undefined, 10_000);
    expect(await trusts(first.ca)).toBe(false);
    const answer = await dig(['+https'], 'after.example.test', second.ca);
    expect(answer).toMatch(/status: NOERROR/);
  }, 20_000);
});
