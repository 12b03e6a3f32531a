/**
 * Per-listener client lists: DoT (--dot-allow) and DoH (--doh-allow) may
 * serve clients plain UDP/TCP refuses, so roaming devices can use the
 * encrypted listeners without the forwarder becoming an open resolver on
 * port 53. Two loopback sources stand for two networks: kdig -b 127.0.0.2
 * is let in on DoT and DoH but REFUSED over UDP and cut at accept over TCP,
 * and 127.0.0.1 the other way round; each refusal is counted (the
 * forwarder's refused_total, the governor's refused_total by listener).
 * Then requireCustomer: a listener open to the world answers only clients
 * that name a configured customer (DoT SNI under customerDomain: REFUSED
 * otherwise; DoH /dns-query/CUSTOMER: 403 at /dns-query), counted. Then the
 * options' usage errors.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { UsageError } from '../src/model/errors.js';
import { Daemon } from '../src/serve/daemon.js';
import { DnsForwarder } from '../src/serve/dns/forwarder.js';
import { forwarderOptions } from '../src/serve/dns/index.js';
import { findBinary } from './support/binaries.js';
import { fluxhound, requireBuilt } from './support/cli.js';
import { startFixedUpstream, type AnsweringAuthority } from './support/answer-all.js';
import { testForwarderOptions } from './support/forwarder-options.js';
import { makeTestCertificates } from './support/test-certs.js';
import { octetEnricher } from './helpers/octet-enricher.js';

const kdig = findBinary('kdig', 'knot-dnsutils');
const curl = findBinary('curl', 'curl');
const DOMAIN = 'dns.fluxhound.test';
const CUSTOMERS = [{ id: 'acme', name: 'Acme', contact: '', networks: ['198.51.100.0/24'] }];
const LOOPBACK = { host: '127.0.0.1', family: 4 as const };
const skip = kdig.missing !== null && process.env.CI !== 'true';

let upstream: AnsweringAuthority;
let dir = '';
let files: { ca: string; cert: string; key: string };

function context(customers = CUSTOMERS): Daemon['context'] {
  return new Daemon({ config: { ...defaultConfig(), customers }, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} }).context;
}

/** kdig from `source` to `port` (`how`: +tcp, +tls, +https[=PATH], or nothing for UDP); asynchronous, output whatever the exit. */
function dig(source: string, port: number, how: string[]): Promise<string> {
  const tls = how.some((h) => h.startsWith('+tls') || h.startsWith('+https')) ? [`+tls-ca=${files.ca}`, `+tls-hostname=${DOMAIN}`] : [];
  const args = ['-b', source, '@127.0.0.1', '-p', String(port), ...how, ...tls, '+timeout=2', '+retry=0', 'www.example.test', 'A'];
  return new Promise((resolve) => execFile(kdig.path!, args, { encoding: 'utf8' }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-encrypted-acl-'));
  files = makeTestCertificates(dir, DOMAIN, [`*.${DOMAIN}`]);
  upstream = await startFixedUpstream();
});

afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DoT and DoH with their own client lists', () => {
  async function forwarder(allow: string[], encryptedAllow: string[]): Promise<[DnsForwarder, Daemon['context']]> {
    const ctx = context();
    const tls = { tls: { cert: files.cert, key: files.key } };
    const fwd = new DnsForwarder(testForwarderOptions(upstream.port, {
      allow,
      dot: { listen: { ...LOOPBACK, port: 0 }, ...tls, allow: encryptedAllow },
      doh: { listen: { ...LOOPBACK, port: 0 }, ...tls, allow: encryptedAllow },
    }), ctx);
    await fwd.start();
    return [fwd, ctx];
  }

  it.skipIf(skip)('serves 127.0.0.2 over DoT and DoH while UDP and TCP refuse it, counted by listener', async () => {
    const [fwd, ctx] = await forwarder(['127.0.0.1/32'], ['127.0.0.2/32']);
    try {
      expect(await dig('127.0.0.2', fwd.dotPort, ['+tls'])).toMatch(/status: NOERROR[\s\S]*192\.0\.2\.1/);
      expect(await dig('127.0.0.2', fwd.dohPort, ['+https'])).toMatch(/status: NOERROR[\s\S]*192\.0\.2\.1/);
      // Plain DNS keeps the forwarder's own list: REFUSED over UDP (as always), the TCP connection cut at accept.
      expect(await dig('127.0.0.2', fwd.port, [])).toMatch(/status: REFUSED/);
      expect(await dig('127.0.0.2', fwd.port, ['+tcp'])).not.toMatch(/status:/);
      expect(fwd.stats.refused).toBe(2);
      const text = await ctx.registry.metrics();
      expect(text).toMatch(/^fluxhound_dns_refused_total 2$/m);
      expect(text).toMatch(/^fluxhound_net_refused_total\{listener="dns-tcp",reason="acl"\} 1$/m);
      expect(text).not.toMatch(/^fluxhound_net_refused_total\{listener="dns-(tls|doh)",reason="acl"\}/m);
    } finally {
      await fwd.stop();
    }
  });

  it.skipIf(skip)('and the other way round: 127.0.0.1 asks over UDP and TCP, its DoT and DoH connections are refused at accept', async () => {
    const [fwd, ctx] = await forwarder(['127.0.0.1/32'], ['127.0.0.2/32']);
    try {
      expect(await dig('127.0.0.1', fwd.port, [])).toMatch(/status: NOERROR/);
      expect(await dig('127.0.0.1', fwd.port, ['+tcp'])).toMatch(/status: NOERROR/);
      expect(await dig('127.0.0.1', fwd.dotPort, ['+tls'])).not.toMatch(/status:/);
      expect(await dig('127.0.0.1', fwd.dohPort, ['+https'])).not.toMatch(/status:/);
      expect(fwd.stats.refused).toBe(2);
      expect(fwd.stats.tlsQueries + fwd.stats.httpsQueries).toBe(0);
      const text = await ctx.registry.metrics();
      expect(text).toMatch(/^fluxhound_dns_refused_total 2$/m);
      expect(text).toMatch(/^fluxhound_net_refused_total\{listener="dns-tls",reason="acl"\} 1$/m);
      expect(text).toMatch(/^fluxhound_net_refused_total\{listener="dns-doh",reason="acl"\} 1$/m);
    } finally {
      await fwd.stop();
    }
  });
});

describe('requireCustomer: encrypted listeners open to the world serve only named customers', () => {
  let fwd: DnsForwarder;
  let ctx: Daemon['context'];

  beforeAll(async () => {
    ctx = context();
    const pair = { cert: files.cert, key: files.key };
    fwd = new DnsForwarder(testForwarderOptions(upstream.port, {
      allow: ['127.0.0.1/32'],
      dot: { listen: { ...LOOPBACK, port: 0 }, tls: pair, allow: ['0.0.0.0/0', '::/0'], customerDomain: DOMAIN, requireCustomer: true },
      doh: { listen: { ...LOOPBACK, port: 0 }, tls: pair, allow: ['0.0.0.0/0', '::/0'], requireCustomer: true },
    }), ctx);
    await fwd.start();
  });

  afterAll(async () => {
    await fwd?.stop();
  });

  it.skipIf(skip)('DoT: SNI acme.DOMAIN is answered; no SNI, the domain itself or an unknown label get REFUSED, counted', async () => {
    expect(await dig('127.0.0.2', fwd.dotPort, ['+tls', `+tls-sni=acme.${DOMAIN}`])).toMatch(/status: NOERROR[\s\S]*192\.0\.2\.1/);
    for (const sni of [[], [`+tls-sni=${DOMAIN}`], [`+tls-sni=nobody.${DOMAIN}`]]) {
      expect(await dig('127.0.0.2', fwd.dotPort, ['+tls', ...sni])).toMatch(/status: REFUSED/);
    }
    expect(fwd.stats.customerRequired).toBe(3);
    // Not an ACL refusal: the address was let in.
    expect(fwd.stats.refused).toBe(0);
    expect(await ctx.registry.metrics()).toMatch(/^fluxhound_dns_customer_required_total\{proto="tls"\} 3$/m);
  });

  it.skipIf(skip || (curl.missing !== null && process.env.CI !== 'true'))('DoH: /dns-query/acme is answered, /dns-query gets 403, counted', async () => {
    expect(await dig('127.0.0.2', fwd.dohPort, ['+https=/dns-query/acme'])).toMatch(/status: NOERROR[\s\S]*192\.0\.2\.1/);
    const query = 'AAABAAABAAAAAAAAA3d3dwdleGFtcGxlBHRlc3QAAAEAAQ';
    const status = await new Promise<string>((resolve) =>
      execFile(curl.path!, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--interface', '127.0.0.2', '--cacert', files.ca, '--resolve', `${DOMAIN}:${fwd.dohPort}:127.0.0.1`, `https://${DOMAIN}:${fwd.dohPort}/dns-query?dns=${query}`], { encoding: 'utf8' }, (_err, stdout) => resolve(stdout)),
    );
    expect(status).toBe('403');
    expect(fwd.doh?.stats.customerRequired).toBe(1);
    expect(fwd.stats.httpsQueries).toBe(1);
    expect(await ctx.registry.metrics()).toMatch(/^fluxhound_dns_customer_required_total\{proto="https"\} 1$/m);
  });
});

/** A context whose config `change` edited. */
function withConfig(change: (config: Daemon['context']['config']) => void): Daemon['context'] {
  const ctx = context();
  change(ctx.config);
  return ctx;
}

describe('--dot-allow, --doh-allow, requireCustomer: options', () => {
  const flags = { dns: '127.0.0.1:5353', upstream: ['127.0.0.1:53'], dot: '127.0.0.1:8853', dotCert: 'c.pem', dotKey: 'k.pem', doh: '127.0.0.1:8443', dohCert: 'c.pem', dohKey: 'k.pem' };

  it('defaults to the forwarder list; flags win over config, config over the default', () => {
    const plain = forwarderOptions({ ...flags, allow: ['10.0.0.0/8'] }, context());
    expect(plain?.dot?.allow).toEqual(['10.0.0.0/8']);
    expect(plain?.doh?.allow).toEqual(['10.0.0.0/8']);
    expect(plain?.dot?.requireCustomer).toBe(false);
    const ctx = context();
    ctx.config.serve.dns.doh.allow = ['192.0.2.0/24'];
    ctx.config.serve.dns.doh.requireCustomer = true;
    const configured = forwarderOptions({ ...flags, dotAllow: ['0.0.0.0/0', '::/0'] }, ctx);
    expect(configured?.dot?.allow).toEqual(['0.0.0.0/0', '::/0']);
    expect(configured?.doh?.allow).toEqual(['192.0.2.0/24']);
    expect(configured?.doh?.requireCustomer).toBe(true);
    expect(configured?.allow).toEqual(['127.0.0.0/8', '::1/128']);
  });

  it.each([
    ['a bad --dot-allow CIDR', { ...flags, dotAllow: ['10.0.0.0/33'] }, context(), /^serve: --dot-allow: '10\.0\.0\.0\/33' is not an IPv4 or IPv6 CIDR$/],
    ['a bad --doh-allow CIDR', { ...flags, dohAllow: ['nowhere'] }, context(), /^serve: --doh-allow: 'nowhere' is not an IPv4 or IPv6 CIDR$/],
    ['--dot-require-customer without a customer domain', { ...flags, dotRequireCustomer: true }, context(), /^serve: --dot-require-customer needs --dot-customer-domain/],
    ['a bad serve.dns.doh.allow while DoH is off', { dns: flags.dns, upstream: flags.upstream }, withConfig((c) => (c.serve.dns.doh.allow = ['10.0.0.0/8', 'fe80::/129'])), /^serve: --doh-allow: 'fe80::\/129' is not an IPv4 or IPv6 CIDR$/],
    ['--doh-require-customer without customers', { ...flags, dohRequireCustomer: true }, context([]), /^serve: --doh-require-customer needs config customers/],
  ])('refuses %s in one line (a usage error: exit 2)', (_what, given, ctx, message) => {
    let thrown: unknown;
    try {
      forwarderOptions(given, ctx);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  });

  it('the built CLI: a bad --dot-allow is one line, exit 2', async () => {
    requireBuilt();
    const r = await fluxhound(['serve', '--no-store', '--dns', '127.0.0.1:5399', '--upstream', '127.0.0.1:53', '--dot', '127.0.0.1:8853', '--dot-cert', files.cert, '--dot-key', files.key, '--dot-allow', '0.0.0.0/0', 'everyone']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("fluxhound: serve: --dot-allow: 'everyone' is not an IPv4 or IPv6 CIDR");
  });
});
