/**
 * Encrypted upstreams with real parts: Unbound on 127.0.0.1 serving DNS over
 * TLS (tls-service-key / tls-service-pem) with a certificate for
 * 'upstream.test' signed by a CA this test makes with openssl, answering a
 * local-zone. The TLS transport (src/serve/dns/tls-upstream.ts) must get the
 * answers over one reused connection with pipelined queries, and must refuse
 * the upstream when asked to verify another name or without the CA. Then
 * `fluxhound serve --upstream tls://127.0.0.1:PORT#upstream.test` forwards
 * a client's plain query over TLS and answers it, and with #other.test (a
 * name the certificate does not carry) answers SERVFAIL.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unboundServerLines } from '../../bench/unbound-config.js';
import { HttpsUpstream } from '../../src/serve/dns/https-upstream.js';
import { RESPONSE_BLOCK } from '../../src/serve/dns/padding.js';
import { padQuery, QUERY_BLOCK } from '../../src/serve/dns/query-padding.js';
import { TlsUpstream } from '../../src/serve/dns/tls-upstream.js';
import { Upstreams } from '../../src/serve/dns/upstream.js';
import { findBinary } from '../support/binaries.js';
import { makeTestCertificates, openssl } from '../support/test-certs.js';
import { CLI, requireBuilt } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';
import { queryUdp } from '../support/dns-query.js';

const unbound = findBinary('unbound', 'unbound');
const skipReason = [unbound, openssl].find((b) => b.missing !== null)?.missing ?? null;

export function unboundDotConfig(dir: string, port: number, tlsPort: number, files: { cert: string; key: string }, httpsPort: number): string {
  return [
    ...unboundServerLines(dir, port),
    `  interface: 127.0.0.1@${httpsPort}`,
    `  https-port: ${httpsPort}`,
    '  http-endpoint: "/dns-query"',
    `  interface: 127.0.0.1@${tlsPort}`,
    `  tls-port: ${tlsPort}`,
    `  tls-service-key: "${files.key}"`,
    `  tls-service-pem: "${files.cert}"`,
    '  do-ip6: no',
    '  verbosity: 1',
    '  num-threads: 1',
    '  local-zone: "upstream-answer.test." static',
    '  local-data: "www.upstream-answer.test. 300 IN A 192.0.2.53"',
    '  local-data: "api.upstream-answer.test. 300 IN A 192.0.2.54"',
    'remote-control:',
    '  control-enable: no',
    '',
  ].join('\n');
}

function query(name: string): { bytes: Buffer; questionEnd: number } {
  const bytes = packet.encode({ type: 'query', id: 1, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
  return { bytes, questionEnd: bytes.length };
}

function ask(upstream: TlsUpstream | HttpsUpstream, name: string, id: number): Promise<packet.Packet | null> {
  const q = query(name);
  return new Promise((resolve) => upstream.ask(q.bytes, q.questionEnd, id, (answer) => resolve(answer === null ? null : packet.decode(answer))));
}

const PADDING = 12;

function optionCodes(message: Buffer): number[] | null {
  const opt = (packet.decode(message).additionals as { type: string; options?: { code: number }[] }[] | undefined)?.find((r) => r.type === 'OPT');
  return opt === undefined ? null : (opt.options ?? []).map((o) => o.code);
}

function addresses(answer: packet.Packet | null): string[] {
  return (answer?.answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data: unknown }).data));
}

describe.skipIf(skipReason !== null)(`DNS over TLS to an Unbound upstream${skipReason === null ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dir = '';
  let resolver: Daemon | null = null;
  let tlsPort = 0;
  let httpsPort = 0;
  let ca: Buffer = Buffer.alloc(0);
  let caFile = '';
  const daemons: Daemon[] = [];

  async function startFluxhound(name: string, upstream = `tls://127.0.0.1:${tlsPort}#${name}`): Promise<number> {
    const dnsPort = await freePort();
    const args = [CLI, 'serve', '--dns', `127.0.0.1:${dnsPort}`, '--upstream', upstream, '--upstream-ca', caFile];
    args.push('--store', join(dir, `fluxhound-${dnsPort}.db`), '--rate-limit', '0', '--log-level', 'info');
    daemons.push(startDaemon(process.execPath, args, { cwd: dir }));
    await waitFor('fluxhound to answer', async () => {
      try {
        await queryUdp(dnsPort, 'nothing.upstream-answer.test', { timeoutMs: 500 });
        return true;
      } catch {
        return false;
      }
    }, 60_000, 200);
    return dnsPort;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-upstream-tls-'));
    const files = makeTestCertificates(dir, 'upstream.test');
    ca = readFileSync(files.ca);
    caFile = files.ca;
    const port = await freePort();
    tlsPort = await freePort();
    httpsPort = await freePort();
    writeFileSync(join(dir, 'unbound.conf'), unboundDotConfig(dir, port, tlsPort, files, httpsPort));
    resolver = startDaemon(unbound.path!, ['-d', '-c', join(dir, 'unbound.conf')]);
    await waitFor(
      'Unbound to answer over TLS',
      async () => {
        const probe = new TlsUpstream({ host: '127.0.0.1', port: tlsPort, servername: 'upstream.test', ca, timeout: 1000 });
        const answer = await ask(probe, 'www.upstream-answer.test', 7);
        probe.close();
        return addresses(answer).length > 0;
      },
      30_000,
      200,
    );
  }, 60_000);

  afterAll(async () => {
    for (const d of daemons) await d.stop();
    await resolver?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('answers over one reused connection, pipelined queries matched by ID', async () => {
    const upstream = new TlsUpstream({ host: '127.0.0.1', port: tlsPort, servername: 'upstream.test', ca, timeout: 3000 });
    const answers = await Promise.all([ask(upstream, 'www.upstream-answer.test', 100), ask(upstream, 'api.upstream-answer.test', 101), ask(upstream, 'www.upstream-answer.test', 102)]);
    expect(answers.map(addresses)).toEqual([['192.0.2.53'], ['192.0.2.54'], ['192.0.2.53']]);
    expect(answers.map((a) => a?.id)).toEqual([100, 101, 102]);
    expect(addresses(await ask(upstream, 'api.upstream-answer.test', 200))).toEqual(['192.0.2.54']);
    expect(upstream.stats.connects).toBe(1);
    expect(upstream.stats.handshakeFailures).toBe(0);
    upstream.close();
    // Reconnects after the connection is gone.
    expect(addresses(await ask(upstream, 'www.upstream-answer.test', 300))).toEqual(['192.0.2.53']);
    expect(upstream.stats.connects).toBe(2);
    upstream.close();
  });

  it('refuses a certificate for another name, and one from an unknown CA', async () => {
    const wrongName = new TlsUpstream({ host: '127.0.0.1', port: tlsPort, servername: 'other.test', ca, timeout: 3000 });
    expect(await ask(wrongName, 'www.upstream-answer.test', 1)).toBeNull();
    expect(wrongName.stats.handshakeFailures).toBe(1);
    expect(wrongName.lastError).toMatch(/other\.test/);
    wrongName.close();
    const noCa = new TlsUpstream({ host: '127.0.0.1', port: tlsPort, servername: 'upstream.test', timeout: 3000 });
    expect(await ask(noCa, 'www.upstream-answer.test', 1)).toBeNull();
    expect(noCa.stats.handshakeFailures).toBe(1);
    noCa.close();
  });

  it('fluxhound serve forwards over TLS to the upstream and answers', async () => {
    requireBuilt();
    const port = await startFluxhound('upstream.test');
    const answer = await queryUdp(port, 'www.upstream-answer.test');
    expect((answer.flags ?? 0) & 15).toBe(0);
    expect(addresses(answer)).toEqual(['192.0.2.53']);
    expect(addresses(await queryUdp(port, 'api.upstream-answer.test'))).toEqual(['192.0.2.54']);
  }, 90_000);

  it('fluxhound serve refuses an upstream whose certificate is for another name (SERVFAIL)', async () => {
    requireBuilt();
    const port = await startFluxhound('other.test');
    const answer = await queryUdp(port, 'www.upstream-answer.test');
    expect((answer.flags ?? 0) & 15).toBe(2);
    expect(addresses(answer)).toEqual([]);
    const log = daemons[daemons.length - 1]!.output();
    expect(log).toMatch(/encrypted upstream refused or unreachable/);
    // Named by its scheme label, so it is told apart from a plain upstream on the same address.
    expect(log).toContain(`"upstream":"tls://127.0.0.1:${tlsPort}#other.test"`);
  }, 90_000);

  it('DNS over HTTPS (RFC 8484, HTTP/2 POST) to Unbound: answers on one session, refuses another name', async () => {
    const upstream = new HttpsUpstream({ host: '127.0.0.1', port: httpsPort, path: '/dns-query', servername: 'upstream.test', ca, timeout: 3000 });
    const answers = await Promise.all([ask(upstream, 'www.upstream-answer.test', 1), ask(upstream, 'api.upstream-answer.test', 2)]);
    expect(answers.map(addresses)).toEqual([['192.0.2.53'], ['192.0.2.54']]);
    expect(upstream.stats.connects).toBe(1);
    upstream.close();
    const wrongName = new HttpsUpstream({ host: '127.0.0.1', port: httpsPort, path: '/dns-query', servername: 'other.test', ca, timeout: 3000 });
    expect(await ask(wrongName, 'www.upstream-answer.test', 1)).toBeNull();
    expect(wrongName.stats.handshakeFailures).toBe(1);
    wrongName.close();
  });

  it('fluxhound serve forwards over HTTPS (--upstream https://…/dns-query#NAME) and answers', async () => {
    requireBuilt();
    const port = await startFluxhound('upstream.test', `https://127.0.0.1:${httpsPort}/dns-query#upstream.test`);
    const answer = await queryUdp(port, 'api.upstream-answer.test');
    expect(answer.id).toBe(4242);
    expect(addresses(answer)).toEqual(['192.0.2.54']);
  }, 90_000);
  it('pads our queries (RFC 8467, 128-byte blocks); Unbound pads its answers to them (468-byte blocks), and the forwarder takes that padding off', async () => {
    const upstream = new TlsUpstream({ host: '127.0.0.1', port: tlsPort, servername: 'upstream.test', ca, timeout: 3000 });
    const plain = query('www.upstream-answer.test');
    const padded = padQuery(plain.bytes).bytes;
    expect(padded.length % QUERY_BLOCK).toBe(0);
    const raw = (bytes: Buffer): Promise<Buffer | null> => new Promise((resolve) => upstream.ask(bytes, plain.questionEnd, 9, resolve));
    // Unbound's own rule (pad-responses): only an answer to a padded query over TLS is padded.
    const answerToPadded = (await raw(padded))!;
    expect(answerToPadded.length % RESPONSE_BLOCK).toBe(0);
    expect(optionCodes(answerToPadded)).toEqual([PADDING]);
    const answerToPlain = (await raw(plain.bytes))!;
    expect(answerToPlain.length % RESPONSE_BLOCK).not.toBe(0);
    upstream.close();
    // Through Upstreams (the forwarder's path): padded on the way out, the client gets no padding back.
    const upstreams = new Upstreams([{ host: '127.0.0.1', port: tlsPort, family: 4, tls: 'upstream.test' }], { timeout: 3000, maxPending: 8, maxPendingPerClient: 8, tlsCa: ca });
    const forwarded = await new Promise<Buffer | null>((resolve) => upstreams.ask(plain.bytes, plain.questionEnd, '127.0.0.1', resolve));
    upstreams.stop();
    expect(addresses(packet.decode(forwarded!))).toEqual(['192.0.2.53']);
    expect(optionCodes(forwarded!)).toBeNull();
    expect(forwarded!.length).toBeLessThan(RESPONSE_BLOCK);
  });

  it('resumes the TLS session with Unbound on reconnect (DoT and DoH)', async () => {
    const upstream = new TlsUpstream({ host: '127.0.0.1', port: tlsPort, servername: 'upstream.test', ca, timeout: 3000 });
    expect(addresses(await ask(upstream, 'www.upstream-answer.test', 1))).toEqual(['192.0.2.53']);
    upstream.close();
    expect(addresses(await ask(upstream, 'api.upstream-answer.test', 2))).toEqual(['192.0.2.54']);
    expect(upstream.stats.connects).toBe(2);
    expect(upstream.stats.resumed).toBe(1);
    upstream.close();
    const doh = new HttpsUpstream({ host: '127.0.0.1', port: httpsPort, path: '/dns-query', servername: 'upstream.test', ca, timeout: 3000 });
    expect(addresses(await ask(doh, 'www.upstream-answer.test', 1))).toEqual(['192.0.2.53']);
    doh.close();
    expect(addresses(await ask(doh, 'api.upstream-answer.test', 2))).toEqual(['192.0.2.54']);
    expect(doh.stats.connects).toBe(2);
    expect(doh.stats.resumed).toBe(1);
    doh.close();
  });
});
