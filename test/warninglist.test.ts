/**
 * MISP warninglists as allowlist feeds, across layers: read from the config's
 * intel.feeds (kind warninglist, a file) as `analyze` and `serve` read them,
 * laid over the reference lists, then used by the real Detector and the real
 * intel index with the real public-suffix rule. Real MISP lists
 * (test/fixtures/warninglists) and one hand-made list in the same format.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../src/config/schema.js';
import { Detector } from '../src/detect/detector.js';
import { isRegistrable, registrableDomain } from '../src/detect/registered-domain.js';
import { nullInfra, type Infra } from '../src/enrich/infra/index.js';
import { buildIntelIndex } from '../src/intel/index.js';
import { parseList } from '../src/intel/list.js';
import { withKnownNames, withWarninglistFiles, type WarninglistInfra } from '../src/intel/warninglist/index.js';
import type { Verdict } from '../src/model/verdict.js';
import { aResponse, bot, T0 } from './helpers/observations.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { CLI, requireBuilt } from './support/cli.js';
import { zeekLog } from './support/zeek-log.js';

const FIXTURES = new URL('./fixtures/warninglists/', import.meta.url).pathname;

/** A hostname-type list, as misp-warninglists writes one (schema.json fields). */
const PARTNERS = {
  name: 'Partner CDNs (test)',
  version: 1,
  description: 'Names served by partners whose answers rotate like flux',
  type: 'hostname',
  matching_attributes: ['hostname', 'domain', 'domain|ip'],
  list: ['partner-cdn.example', 'amazonaws.com', 'duckdns.org', 'co.uk'],
};

function configWith(lists: Array<[string, string]>): Config {
  const config = defaultConfig();
  config.intel.feeds = lists.map(([name, path]) => ({ ...defaultConfig().intel.feeds[0], name, path, url: null, kind: 'warninglist' }) as Config['intel']['feeds'][number]);
  return config;
}

function referenceLists(): WarninglistInfra {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-warninglist-'));
  writeFileSync(join(dir, 'partners.json'), JSON.stringify(PARTNERS));
  const config = configWith([
    ['google', join(FIXTURES, 'google.json')],
    ['cloudflare', join(FIXTURES, 'cloudflare.json')],
    ['tlds', join(FIXTURES, 'tlds.json')],
    ['partners', join(dir, 'partners.json')],
  ]);
  // No data/reference: the warninglists alone are the reference lists (--no-reference with warninglist feeds).
  return withWarninglistFiles(null, config.intel, { isRegistrable }) as WarninglistInfra;
}

/** Twelve lookups, each answered by five new addresses: fast flux by every measure. */
function fluxLookups(d: Detector, name: string, address: (i: number) => string, salt = 0): void {
  for (let lookup = 0; lookup < 12; lookup++) d.observe(aResponse(T0 + lookup * 300, name, [0, 1, 2, 3, 4].map((k) => address(salt + lookup * 5 + k)), 120));
}

function detect(infra: Infra, feed: (d: Detector) => void): { detector: Detector; flagged: Set<string> } {
  const flags: Verdict[] = [];
  const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, infra, onFlag: (v) => flags.push(v) });
  feed(detector);
  detector.flush();
  return { detector, flagged: new Set(flags.map((v) => v.domain)) };
}

/** Addresses inside Cloudflare's published ranges (104.16.0.0/13, 172.64.0.0/13, 162.158.0.0/15, 2606:4700::/32). */
function cloudflare(i: number): string {
  const nets = ['104.16', '104.23', '172.64', '172.71', '162.158', '162.159'];
  return `${nets[i % nets.length]}.${(i * 7) % 250}.${1 + (i % 250)}`;
}

describe('warninglists read from config intel.feeds extend the reference lists', () => {
  const infra = referenceLists();

  it('counts what each list gave and refused: TLDs and public or dynamic-DNS suffixes never become allowlist entries', () => {
    expect(infra.warninglists.map((c) => [c.feed, c.names, c.networks, c.skipped, c.refused])).toEqual([
      // 669 values ('google.com' twice: exact and with subdomains, two tables); 10 are public suffixes of
      // the list's private section (blogspot.com among them): an entry there would cover every customer's name.
      ['google', 659, 0, 0, { 'public-suffix': 10, 'dynamic-dns': 0, 'too-broad': 0, duplicate: 0 }],
      ['cloudflare', 0, 22, 0, { 'public-suffix': 0, 'dynamic-dns': 0, 'too-broad': 0, duplicate: 0 }],
      ['tlds', 0, 0, 0, { 'public-suffix': 1438, 'dynamic-dns': 0, 'too-broad': 0, duplicate: 0 }],
      // duckdns.org is a public (private-section) suffix; co.uk an ICANN one.
      ['partners', 2, 0, 0, { 'public-suffix': 2, 'dynamic-dns': 0, 'too-broad': 0, duplicate: 0 }],
    ]);
    expect(infra.sources.map((s) => s.upstream[0])).toContain('misp-warninglist: List of known Cloudflare IP ranges v20260811');
  });

  it('answers names by the list type: exact for string, subdomains within the registrant for hostname and leading-dot entries', () => {
    const known = (name: string) => infra.isKnownName(name, registrableDomain(name) ?? name);
    expect(known('drive.google.com')).toBe(true); // exact
    expect(known('mail.google.com')).toBe(true); // under '.google.com'
    expect(known('x.drive.google.com')).toBe(true); // still under '.google.com'
    expect(known('x.1e100.net')).toBe(false); // '1e100.net' is listed exact
    expect(known('edge-7.partner-cdn.example')).toBe(true);
    expect(known('www.amazonaws.com')).toBe(true);
    // Another registrant below a listed name (s3.amazonaws.com is a public suffix): not covered.
    expect(known('bucket.s3.amazonaws.com')).toBe(false);
    expect(known('com')).toBe(false);
    expect(known('flux.evil-bank.com')).toBe(false);
  });

  it('answers warninglist networks as known infrastructure, IPv4, IPv6 and v4-mapped', () => {
    expect(infra.providerName(infra.providerOfAddress('104.16.5.5'))).toBe('warninglist cloudflare');
    expect(infra.providerClass(infra.providerOfAddress('2606:4700::1'))).toBe('cloud');
    expect(infra.providerOfAddress('::ffff:104.16.5.5')).toBe(infra.providerOfAddress('104.16.5.5'));
    expect(infra.providerOfAddress('192.0.2.1')).toBe(-1);
  });

  it('detection never flags a name a warninglist names, nor flux made of warninglist addresses; the same flux elsewhere is flagged', () => {
    const { detector, flagged } = detect(infra, (d) => {
      fluxLookups(d, 'drive.google.com', bot);
      fluxLookups(d, 'mail.google.com', bot, 100);
      fluxLookups(d, 'edge-7.partner-cdn.example', bot, 200);
      fluxLookups(d, 'shop.cf-customer.example', cloudflare);
      fluxLookups(d, 'login.evil-bank.com', bot, 300);
      fluxLookups(d, 'bucket.s3.amazonaws.com', bot, 400);
    });
    expect(flagged).toEqual(new Set(['login.evil-bank.com', 'bucket.s3.amazonaws.com']));
    expect(detector.stats.knownNames).toBe(36);
    // Without the warninglists, the same lookups are flux: what kept them out is the lists alone.
    const without = detect(nullInfra, (d) => {
      fluxLookups(d, 'drive.google.com', bot);
      fluxLookups(d, 'shop.cf-customer.example', cloudflare);
    });
    expect(without.flagged).toEqual(new Set(['drive.google.com', 'shop.cf-customer.example']));
  });

  it('an intel feed never makes a warninglist name a trigger, and a warninglist network refuses its entries as known infrastructure', () => {
    const feed = parseList(['drive.google.com', 'mail.google.com', 'edge-7.partner-cdn.example', '104.16.5.5', '2606:4700::9', '104.17.0.0/16', 'flux.evil-bank.com', '185.100.87.7'].join('\n'), 'partner-feed.txt');
    const rules = withKnownNames({ isRegistrable, isAllowlisted: () => false }, infra, registrableDomain);
    const index = buildIntelIndex([{ name: 'partner', action: 'block', confidence: 90, expiresAt: Infinity, feed }], rules);
    expect(index.counts[0]).toMatchObject({ accepted: 2, refused: { allowlisted: 3, 'known-infrastructure': 3 } });
    for (const name of ['drive.google.com', 'mail.google.com', 'edge-7.partner-cdn.example']) expect(index.matchDomain(name)).toBeNull();
    for (const address of ['104.16.5.5', '2606:4700::9', '104.17.1.1']) expect(index.matchAddress(address)).toBeNull();
    expect(index.matchDomain('flux.evil-bank.com')).toMatchObject({ feed: 'partner', ref: 'partner-feed.txt:7' });
    expect(index.matchAddress('185.100.87.7')).toMatchObject({ feed: 'partner' });
  });

  it('leaves the reference lists as they are when no warninglist file is configured', () => {
    expect(withWarninglistFiles(null, defaultConfig().intel, { isRegistrable })).toBeNull();
  });

  it('a missing or oversized warninglist file is one config error naming the feed', () => {
    expect(() => withWarninglistFiles(null, configWith([['gone', '/nonexistent/list.json']]).intel, { isRegistrable })).toThrow('config: intel.feeds gone: cannot read /nonexistent/list.json: ENOENT');
    const small = configWith([['google', join(FIXTURES, 'google.json')]]).intel;
    expect(() => withWarninglistFiles(null, { ...small, maxBytes: 1024 }, { isRegistrable })).toThrow(/^config: intel.feeds google: .*google.json has 13512 bytes, over intel.maxBytes \(1024\)$/);
  });
});

describe('analyze with warninglist feeds in its config (the built CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-warninglist-cli-'));
  const input = join(dir, 'lookups.dns.log');
  const bots = Array.from({ length: 60 }, (_, i) => bot(i));
  // Flux on warninglist networks is shown in process above (octet enricher): with the real ASN data, answers
  // all in Cloudflare's AS13335 score no diversity anyway, so this run shows the names and the wiring.
  writeFileSync(input, zeekLog(['edge-7.partner-cdn.example', 'flux.evil-control.org'], bots));
  writeFileSync(join(dir, 'partners.json'), JSON.stringify(PARTNERS));
  const config = (lists: string[]) => {
    const file = join(dir, `config-${lists.length}.yaml`);
    writeFileSync(file, `intel:\n  feeds:\n${lists.map((path, i) => `    - name: list${i}\n      path: ${path}\n      kind: warninglist\n`).join('')}`);
    return file;
  };
  const verdicts = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'analyze', '--json', '--all', '--no-reference', ...args, input], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, timeout: 60_000 });
    expect(r.status).toBe(0);
    const printed = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { domain: string; scope: string; verdict: string });
    return new Map(printed.filter((v) => v.scope === 'name').map((v) => [v.domain, v.verdict]));
  };

  it('never scores a name a configured warninglist names; without the lists the same lookups are flagged', () => {
    requireBuilt();
    const without = verdicts([]);
    expect(without.get('edge-7.partner-cdn.example')).toBe('fast-flux');
    expect(without.get('flux.evil-control.org')).toBe('fast-flux');
    const withLists = verdicts(['-c', config([join(dir, 'partners.json'), join(FIXTURES, 'cloudflare.json')])]);
    expect(withLists.get('flux.evil-control.org')).toBe('fast-flux');
    expect(withLists.has('edge-7.partner-cdn.example')).toBe(false);
  }, 120_000);

  it('a configured warninglist file that is missing is one line and exit 2', () => {
    requireBuilt();
    const r = spawnSync(process.execPath, [CLI, 'analyze', '-c', config([join(dir, 'gone.json')]), input], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`fluxhound: config: intel.feeds list0: cannot read ${join(dir, 'gone.json')}: ENOENT\n`);
  }, 60_000);
});
