/**
 * Per-client identity over DNS over TLS: with serve.dns.dot.customerDomain
 * dns.fluxhound.test, kdig (knot-dnsutils) connecting with SNI
 * acme.dns.fluxhound.test is customer acme in the query log and the query
 * stats although 127.0.0.1 is not acme's network; an SNI label naming no
 * configured customer falls back to the address and is counted; the queries
 * are counted as proto="tls", not "tcp". A resolver forwarding to fluxhound
 * over TLS names its customer the same way: Unbound with
 * `forward-addr: 127.0.0.1@PORT#acme.dns.fluxhound.test` sends that name as
 * SNI (and checks the certificate for it). Then --dot-customer-domain's
 * usage errors.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import type { QueryLogEntry } from '../src/model/query-log.js';
import { UsageError } from '../src/model/errors.js';
import { Daemon } from '../src/serve/daemon.js';
import { DnsForwarder } from '../src/serve/dns/forwarder.js';
import { forwarderOptions } from '../src/serve/dns/index.js';
import { verdictFixture } from '../src/store/store.case.js';
import { findBinary } from './support/binaries.js';
import { freePort, startDaemon, waitFor } from './support/daemon.js';
import { queryUdp } from './support/dns-query.js';
import { startFixedUpstream, type AnsweringAuthority } from './support/answer-all.js';
import { testForwarderOptions } from './support/forwarder-options.js';
import { makeTestCertificates } from './support/test-certs.js';
import { octetEnricher } from './helpers/octet-enricher.js';

const kdig = findBinary('kdig', 'knot-dnsutils');
const unbound = findBinary('unbound', 'unbound');
const DOMAIN = 'dns.fluxhound.test';
const CUSTOMERS = [
  { id: 'acme', name: 'Acme', contact: '', networks: ['198.51.100.0/24'] },
  // 127.0.0.2 is Beta-2's: kdig -b 127.0.0.2 is a client inside Beta-2's network.
  { id: 'Beta-2', name: 'Beta', contact: '', networks: ['203.0.113.0/24', '127.0.0.2/32'] },
];

let upstream: AnsweringAuthority;
let dir = '';
let files: { ca: string; cert: string; key: string };
let fwd: DnsForwarder;
let daemon: Daemon;
const logged: QueryLogEntry[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-dot-customer-'));
  // Clients that check the name they send as SNI (Unbound, Android) need the wildcard.
  files = makeTestCertificates(dir, DOMAIN, [`*.${DOMAIN}`]);
  upstream = await startFixedUpstream();
  daemon = new Daemon({ config: { ...defaultConfig(), customers: CUSTOMERS }, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
  daemon.context.onQuery((e) => logged.push(e));
  fwd = new DnsForwarder(testForwarderOptions(upstream.port, { dot: { listen: { host: '127.0.0.1', port: 0, family: 4 }, tls: { cert: files.cert, key: files.key }, customerDomain: DOMAIN } }), daemon.context);
  await fwd.start();
  daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
});

afterAll(async () => {
  await fwd?.stop();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** kdig +tls with SNI `sni` (the certificate is checked against DOMAIN); asynchronous, the server runs in this process. */
function dig(sni: string | null, name: string, source = '127.0.0.1'): Promise<string> {
  const args = ['-b', source, '@127.0.0.1', '-p', String(fwd.dotPort), '+tls', `+tls-ca=${files.ca}`, `+tls-hostname=${DOMAIN}`, ...(sni === null ? [] : [`+tls-sni=${sni}`]), '+timeout=3', '+retry=0', name, 'A'];
  return new Promise((resolve) => execFile(kdig.path!, args, { encoding: 'utf8' }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)));
}

describe('DoT: the SNI label names the customer', () => {
  it.skipIf(kdig.missing !== null && process.env.CI !== 'true')('attributes a block to acme by SNI, and an unknown label to the address (counted)', async () => {
    logged.length = 0;
    daemon.context.queryStats.drain();
    const acme = await dig(`acme.${DOMAIN}`, 'www.flux.test');
    expect(acme).toMatch(/status: NXDOMAIN/);
    expect(logged).toEqual([expect.objectContaining({ name: 'www.flux.test', client: '127.0.0.1', customer: 'acme', action: 'nxdomain' })]);
    expect(daemon.context.queryStats.drain()).toEqual([expect.objectContaining({ customer: 'acme', queries: 1, blocked: 1 })]);
    // SNI names are case-insensitive: a label names the configured id whatever its case.
    await dig(`BETA-2.${DOMAIN}`, 'www.flux.test');
    expect(logged[1]).toMatchObject({ customer: 'Beta-2' });
    // A label naming no customer, the domain itself, no SNI, another name, two labels: the address decides (none here);
    // the two names under the domain that name nobody are counted.
    for (const sni of [`nobody.${DOMAIN}`, DOMAIN, null, `acme.elsewhere.test`, `x.acme.${DOMAIN}`]) await dig(sni, 'www.flux.test');
    expect(logged.slice(2).map((e) => e.customer)).toEqual([null, null, null, null, null]);
    expect(fwd.stats.unknownSniCustomers).toBe(2);
    const text = await daemon.context.registry.metrics();
    expect(text).toMatch(/^fluxhound_dns_unknown_customers_total\{proto="tls"\} 2$/m);
    expect(text).toMatch(new RegExp(`^fluxhound_dns_queries_total\\{proto="tls"\\} ${fwd.stats.tlsQueries}$`, 'm'));
    expect(fwd.stats.tlsQueries).toBe(7);
    expect(text).toMatch(/^fluxhound_dns_queries_total\{proto="tcp"\} 0$/m);
  });
});

describe('DoT: a client cannot name another customer than its address', () => {
  it.skipIf(kdig.missing !== null && process.env.CI !== 'true')('attributes SNI acme from Beta-2\'s address to Beta-2 (counted), and SNI Beta-2 from it to Beta-2 (not counted)', async () => {
    logged.length = 0;
    daemon.context.queryStats.drain();
    const before = fwd.stats.mismatchedTlsCustomers;
    expect(await dig(`acme.${DOMAIN}`, 'www.flux.test', '127.0.0.2')).toMatch(/status: NXDOMAIN/);
    expect(logged).toEqual([expect.objectContaining({ client: '127.0.0.2', customer: 'Beta-2', action: 'nxdomain' })]);
    expect(daemon.context.queryStats.drain()).toEqual([expect.objectContaining({ customer: 'Beta-2', queries: 1, blocked: 1 })]);
    expect(fwd.stats.mismatchedTlsCustomers).toBe(before + 1);
    await dig(`beta-2.${DOMAIN}`, 'www.flux.test', '127.0.0.2');
    expect(logged[1]).toMatchObject({ client: '127.0.0.2', customer: 'Beta-2' });
    expect(fwd.stats.mismatchedTlsCustomers).toBe(before + 1);
    const text = await daemon.context.registry.metrics();
    expect(text).toMatch(new RegExp(`^fluxhound_dns_mismatched_customers_total\\{proto="tls"\\} ${before + 1}$`, 'm'));
  });
});

describe('DoT: a resolver names its customer', () => {
  it.skipIf(unbound.missing !== null && process.env.CI !== 'true')('Unbound forwarding over TLS to #acme.DOMAIN is acme', async () => {
    const port = await freePort();
    const conf = join(dir, 'unbound.conf');
    writeFileSync(conf, [
      'server:',
      '  interface: 127.0.0.1',
      `  port: ${port}`,
      '  do-daemonize: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir}"`,
      '  pidfile: ""',
      '  use-syslog: no',
      '  do-ip6: no',
      '  module-config: "iterator"',
      // Unbound refuses to ask 127.0.0.1 and answers .test itself (RFC 6761) unless told otherwise.
      '  do-not-query-localhost: no',
      '  local-zone: "test." nodefault',
      `  tls-cert-bundle: "${files.ca}"`,
      'forward-zone:',
      '  name: "."',
      '  forward-tls-upstream: yes',
      `  forward-addr: 127.0.0.1@${fwd.dotPort}#acme.${DOMAIN}`,
      '',
    ].join('\n'));
    const resolver = startDaemon(unbound.path!, ['-d', '-c', conf]);
    try {
      logged.length = 0;
      const answer = await waitFor('Unbound to answer', () => queryUdp(port, 'www.flux.test', { timeoutMs: 1000 }).catch(() => undefined), 10_000);
      expect((answer.flags ?? 0) & 15, resolver.output()).toBe(3);
      // Unbound may ask more than once (a retry); every query it sent is acme's.
      expect(logged.length).toBeGreaterThanOrEqual(1);
      for (const e of logged) expect(e).toMatchObject({ name: 'www.flux.test', customer: 'acme', action: 'nxdomain' });
    } finally {
      await resolver.stop();
    }
  });
});

describe('--dot-customer-domain', () => {
  const flags = { dns: '127.0.0.1:5353', upstream: ['127.0.0.1:53'], dot: '127.0.0.1:8853', dotCert: 'c.pem', dotKey: 'k.pem' };
  const context = (customers = CUSTOMERS): Daemon['context'] =>
    new Daemon({ config: { ...defaultConfig(), customers }, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} }).context;

  it('takes the domain in lower case without the trailing dot, and none by default', () => {
    expect(forwarderOptions({ ...flags, dotCustomerDomain: 'DNS.Example.NET.' }, context())?.dot?.customerDomain).toBe('dns.example.net');
    expect(forwarderOptions(flags, context())?.dot?.customerDomain).toBeNull();
  });

  it.each([
    ['not a domain name', { ...flags, dotCustomerDomain: 'dns..example' }, context(), /--dot-customer-domain takes a domain name/],
    ['no customers configured', { ...flags, dotCustomerDomain: 'dns.example.net' }, context([]), /config customers is empty/],
  ])('refuses %s in one line (a usage error: exit 2)', (_what, given, ctx, message) => {
    expect(() => forwarderOptions(given, ctx)).toThrow(UsageError);
    expect(() => forwarderOptions(given, ctx)).toThrow(message);
  });
});
