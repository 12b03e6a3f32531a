/**
 * Issue 12 defect 3, with real parts: BIND `named` serves secure.test,
 * signed by dnssec-signzone, in which one record was changed after signing
 * (its signature no longer matches: bogus); a validating Unbound holds the
 * zone's key as trust anchor and recurses to named; fluxhound's forwarder
 * forwards to Unbound. A client asking with CD=1 gets the bogus answer (it
 * asked to skip validation); a client asking afterwards with CD=0 must get
 * SERVFAIL, as from Unbound itself, not the bogus answer from fluxhound's cache.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unboundServerLines, unboundStubLines } from '../../bench/unbound-config.js';
import { defaultConfig } from '../../src/config/schema.js';
import { Daemon as FluxhoundDaemon } from '../../src/serve/daemon.js';
import { DnsForwarder } from '../../src/serve/dns/forwarder.js';
import { octetEnricher } from '../helpers/octet-enricher.js';
import { findBinary } from '../support/binaries.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';

const unbound = findBinary('unbound', 'unbound');
const named = findBinary('named', 'bind9');
const keygen = findBinary('dnssec-keygen', 'bind9-utils');
const signzone = findBinary('dnssec-signzone', 'bind9-utils');
const dig = findBinary('dig', 'bind9-dnsutils');
const skipReason = [unbound, named, keygen, signzone, dig].find((b) => b.missing !== null)?.missing ?? null;

const ZONE = 'secure.test';
const GOOD = '192.0.2.10';
const SIGNED_BOGUS = '192.0.2.66';
const SERVED_BOGUS = '192.0.2.99';

interface Answer {
  status: string;
  addresses: string[];
  ad: boolean;
}

function ask(port: number, name: string, flags: string[] = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    execFile(dig.path!, ['+time=5', '+tries=1', '+nocookie', ...flags, '@127.0.0.1', '-p', String(port), name, 'A'], { encoding: 'utf8', timeout: 20_000 }, (err, stdout) => {
      if (err !== null && stdout === '') return reject(err);
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NONE';
      const addresses = [...stdout.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!).sort();
      const ad = /;; flags:[^;]*\bad\b/.test(stdout);
      resolve({ status, addresses, ad });
    });
  });
}

/** Signs the zone with a fresh key pair, then changes one signed address: its RRSIG no longer verifies. */
function signedZone(dir: string): { file: string; dnskeys: string } {
  const zone = join(dir, `${ZONE}.zone`);
  writeFileSync(
    zone,
    [
      `$ORIGIN ${ZONE}.`,
      '$TTL 300',
      `@ IN SOA ns.${ZONE}. hostmaster.${ZONE}. 1 3600 600 86400 300`,
      `@ IN NS ns.${ZONE}.`,
      'ns IN A 127.0.0.1',
      `good IN A ${GOOD}`,
      `bogus IN A ${SIGNED_BOGUS}`,
      '',
    ].join('\n'),
  );
  for (const extra of [['-f', 'KSK'], []]) {
    execFileSync(keygen.path!, ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', '-n', 'ZONE', ...extra, ZONE], { cwd: dir });
  }
  execFileSync(signzone.path!, ['-q', '-S', '-K', dir, '-O', 'full', '-o', ZONE, '-f', `${zone}.signed`, zone], { cwd: dir });
  const signed = readFileSync(`${zone}.signed`, 'utf8');
  const bogusLine = new RegExp(`^(bogus\\.${ZONE.replace('.', '\\.')}\\.\\s+\\d+\\s+IN\\s+A\\s+)${SIGNED_BOGUS.replaceAll('.', '\\.')}$`, 'm');
  expect(signed).toMatch(bogusLine);
  writeFileSync(`${zone}.signed`, signed.replace(bogusLine, `$1${SERVED_BOGUS}`));
  const dnskeys = readdirSync(dir)
    .filter((f) => f.endsWith('.key'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n')
    .split('\n')
    .filter((l) => /\sDNSKEY\s/.test(l) && !l.startsWith(';'))
    .join('\n');
  return { file: `${zone}.signed`, dnskeys };
}

function namedConfig(dir: string, port: number, zoneFile: string): string {
  return `options {
  directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file "${join(dir, 'named.pid')}";
  session-keyfile "${join(dir, 'session.key')}";
  recursion no;
  dnssec-validation no;
};
controls { };
zone "${ZONE}" { type primary; file "${zoneFile}"; };
`;
}

function unboundConfig(dir: string, port: number, namedPort: number): string {
  return [
    ...unboundServerLines(dir, port),
    '  do-ip6: no',
    '  verbosity: 1',
    '  num-threads: 1',
    '  module-config: "validator iterator"',
    `  trust-anchor-file: "${join(dir, 'anchor.keys')}"`,
    ...unboundStubLines(ZONE, namedPort),
    '',
  ].join('\n');
}

describe.skipIf(skipReason !== null)(`the cache key holds the CD bit, against a validating Unbound${skipReason === null ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dir = '';
  let authority: Daemon | null = null;
  let resolver: Daemon | null = null;
  let forwarder: DnsForwarder | null = null;
  let unboundPort = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-dnssec-cd-'));
    const { file, dnskeys } = signedZone(dir);
    writeFileSync(join(dir, 'anchor.keys'), `${dnskeys}\n`);
    const namedPort = await freePort();
    writeFileSync(join(dir, 'named.conf'), namedConfig(dir, namedPort, file));
    authority = startDaemon(named.path!, ['-g', '-n', '1', '-c', join(dir, 'named.conf')]);
    await waitFor('named to serve the zone', async () => (await ask(namedPort, `good.${ZONE}`, ['+norec'])).addresses.includes(GOOD), 30_000, 200);
    unboundPort = await freePort();
    writeFileSync(join(dir, 'unbound.conf'), unboundConfig(dir, unboundPort, namedPort));
    resolver = startDaemon(unbound.path!, ['-d', '-c', join(dir, 'unbound.conf')]);
    await waitFor('Unbound to validate the good name', async () => (await ask(unboundPort, `good.${ZONE}`)).ad, 30_000, 200);
    const daemon = new FluxhoundDaemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
    forwarder = new DnsForwarder(
      {
        listen: { host: '127.0.0.1', port: 0, family: 4 },
        upstreams: [{ host: '127.0.0.1', port: unboundPort, family: 4 }],
        allow: ['127.0.0.0/8'],
        rateLimit: 0,
        timeout: 3000,
        cacheBytes: 1 << 20,
        cacheAnswerBytes: 16_384,
        maxTtl: 86400,
        maxPending: 100,
        maxPendingPerClient: 100,
        detectorQueue: 100,
      },
      daemon.context,
    );
    await forwarder.start();
  }, 120_000);

  afterAll(async () => {
    await forwarder?.stop();
    await resolver?.stop();
    await authority?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('Unbound itself: SERVFAIL for the bogus name with CD=0, the bogus data with CD=1', async () => {
    expect(await ask(unboundPort, `good.${ZONE}`)).toEqual({ status: 'NOERROR', addresses: [GOOD], ad: true });
    expect((await ask(unboundPort, `bogus.${ZONE}`)).status).toBe('SERVFAIL');
    expect(await ask(unboundPort, `bogus.${ZONE}`, ['+cd'])).toMatchObject({ status: 'NOERROR', addresses: [SERVED_BOGUS] });
  }, 30_000);

  it('fluxhound passes the CD=1 answer, then answers CD=0 clients SERVFAIL, not the cached bogus data', async () => {
    const port = forwarder!.port;
    for (const dnssec of [[], ['+dnssec']]) {
      const cd = await ask(port, `bogus.${ZONE}`, ['+cd', ...dnssec]);
      expect(cd).toMatchObject({ status: 'NOERROR', addresses: [SERVED_BOGUS] });
      const hits = forwarder!.stats.cacheHits;
      // The CD=1 answer is cached for CD=1 clients...
      expect(await ask(port, `bogus.${ZONE}`, ['+cd', ...dnssec])).toMatchObject({ status: 'NOERROR', addresses: [SERVED_BOGUS] });
      expect(forwarder!.stats.cacheHits).toBe(hits + 1);
      // ...and never served to a client that wants validation.
      const validated = await ask(port, `bogus.${ZONE}`, dnssec);
      expect(validated).toEqual({ status: 'SERVFAIL', addresses: [], ad: false });
      expect(await ask(port, `bogus.${ZONE}`, dnssec)).toEqual({ status: 'SERVFAIL', addresses: [], ad: false });
    }
    // The good name still validates through fluxhound (AD passed on with DO).
    expect(await ask(port, `good.${ZONE}`, ['+dnssec'])).toMatchObject({ status: 'NOERROR', addresses: [GOOD], ad: true });
  }, 60_000);
});
