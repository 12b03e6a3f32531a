/**
 * scripts/refresh-reference.mjs end to end on miniature upstream files
 * (test/fixtures/reference-src/): what each rule makes of them, that two runs
 * give the same bytes, that the loader reads the result, and that bad input
 * stops the script with one line naming it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInfra, REFERENCE_FILES } from '../src/enrich/infra/index.js';

const ROOT = join(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'scripts', 'refresh-reference.mjs');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'reference-src');

let work: string;
let out: string;
let stdout: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fluxhound-refresh-'));
  out = join(work, 'out');
  stdout = execFileSync(process.execPath, [SCRIPT, '--from', FIXTURE, '--out', out], { encoding: 'utf8' });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Data lines of an output file, comments kept. */
function entries(file: string): string[] {
  return readFileSync(join(out, file), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

function header(file: string): string[] {
  return readFileSync(join(out, file), 'utf8').split('\n').filter((l) => l.startsWith('#'));
}

describe('refresh-reference.mjs', () => {
  it('writes every file and prints one summary line for each', () => {
    expect(readdirSync(out).sort()).toEqual(Object.values(REFERENCE_FILES).sort());
    const lines = stdout.trim().split('\n');
    for (const file of Object.values(REFERENCE_FILES)) expect(lines.filter((l) => l.startsWith(`${file}: `))).toHaveLength(1);
    expect(stdout).toContain('cdn-cloud-cidrs.txt: 29 entries');
    expect(stdout).toContain('note: listed as both cdn and cloud, kept as cdn: arvancloud');
  });

  it('heads each file with its sources, licences and date', () => {
    for (const file of Object.values(REFERENCE_FILES)) {
      const h = header(file);
      expect(h.some((l) => l.startsWith('# source: '))).toBe(true);
      expect(h.some((l) => l.startsWith('# licence: '))).toBe(true);
      expect(h.filter((l) => /^# date: \d{4}-\d{2}-\d{2}$/.test(l))).toHaveLength(1);
    }
    expect(header('cdn-cloud-cidrs.txt')).toContain('# date: 2026-08-19'); // the newest MISP list version
    expect(header('cdn-cloud-cidrs.txt')).toContain('# source: MISP/misp-warninglists:lists/akamai/list.json@84f0610 (list version 20240422)');
    expect(header('top-sites.txt')).toContain('# source: npm top-sites@1.1.222:top-sites.json (published 2025-10-01)');
    expect(header('dynamic-dns-suffixes.txt')).toContain(
      '# source: MISP/misp-warninglists:lists/dynamic-dns/list.json@84f0610 (list version 2, undated; snapshot 2026-08-19)',
    );
  });

  it('gives each address to the most specific prefix, merges, and writes minimal CIDRs', () => {
    expect(entries('cdn-cloud-cidrs.txt')).toEqual([
      '1.1.1.0/24 cloudflare cdn',
      '3.2.0.0/22 aws cloud', // two adjacent /23s
      '13.32.0.0/15 cloudfront cdn', // also in the AWS list at the same length: CloudFront wins
      '20.33.0.0/16 azure cloud',
      '23.235.32.0/20 fastly cdn',
      '34.0.0.0/16 google cdn', // goog.json's /15 less cloud.json's /16
      '34.1.0.0/16 google-cloud cloud',
      '40.96.0.0/14 azure cloud', // inside Microsoft 365's /13: the more specific wins
      '40.100.0.0/14 microsoft-365 cdn',
      '45.32.205.194/32 belugacdn cdn', // a cdn-ip-database static IP
      '104.64.0.0/10 akamai cdn',
      '112.29.152.0/24 tencent-cloud cdn', // 腾讯云
      '185.143.232.0/22 arvancloud cdn', // listed as waf and as cloud
      '188.229.116.16/30 arvancloud cdn', // upstream wrote .17/30
      '2600:1f00::/33 aws cloud', // AWS's /24 around CloudFront's /36
      '2600:1f00:8000::/36 cloudfront cdn',
      '2600:1f00:9000::/36 aws cloud',
      '2600:1f00:a000::/35 aws cloud',
      '2600:1f00:c000::/34 aws cloud',
      '2600:1f01::/32 aws cloud',
      '2600:1f02::/31 aws cloud',
      '2600:1f04::/30 aws cloud',
      '2600:1f08::/29 aws cloud',
      '2600:1f10::/28 aws cloud',
      '2600:1f20::/27 aws cloud',
      '2600:1f40::/26 aws cloud',
      '2600:1f80::/25 aws cloud',
      '2606:4700::/32 cloudflare cdn',
      '2a04:4e42::/32 fastly cdn',
    ]);
  });

  it('maps CNAME suffixes, the curated ones over cdncheck', () => {
    const lines = entries('cdn-cname-suffixes.txt');
    expect(lines).toContain('akamaiedge.net akamai cdn');
    expect(lines).toContain('edgecastcdn.net edgecast cdn');
    expect(lines).toContain('kunlunca.com alibaba-cloud cdn'); // 阿里云 CDN
    expect(lines.find((l) => l.startsWith('edgesuite.net '))).toMatch(/^edgesuite\.net akamai cdn {2}# /);
    expect(lines.find((l) => l.startsWith('cloudfront.net '))).toMatch(/^cloudfront\.net cloudfront cdn {2}# /);
    expect(lines.find((l) => l.startsWith('amazonaws.com '))).toMatch(/^amazonaws\.com aws cloud {2}# /);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(lines.map((l) => l.split(' ')[0]).sort());
  });

  it('lists ASNs from cdncheck, cdn-ip-database and the curated ones', () => {
    const lines = entries('provider-asns.txt');
    expect(lines).toEqual(expect.arrayContaining(['16625 akamai cdn', '20940 akamai cdn', '197068 qrator cdn', '200325 bunny cdn']));
    expect(lines.find((l) => l.startsWith('13335 '))).toMatch(/^13335 cloudflare cdn {2}# /);
    expect(lines.map((l) => Number(l.split(' ')[0]))).toEqual(lines.map((l) => Number(l.split(' ')[0])).sort((a, b) => a - b));
  });

  it('reduces top lists to registered domains and notes the lists that hold each', () => {
    expect(entries('top-sites.txt')).toEqual(['example.net t', 'google.com mnrtu', 'ntp.org u', 'wikipedia.org nt']);
  });

  it('keeps dynamic-DNS suffixes that are neither public suffixes nor covered by another, with the curated ones and their reasons', () => {
    const lines = entries('dynamic-dns-suffixes.txt');
    expect(lines.filter((l) => !l.includes('#'))).toEqual(['ddns.net', 'duckdns.org', 'dyndns.org']);
    const curated = lines.filter((l) => l.includes('#'));
    expect(curated.map((l) => l.split(' ')[0])).toEqual(['ddnss.de', 'dynu.net', 'freeddns.org', 'myfritz.net', 'mywire.org', 'no-ip.org', 'synology.me']);
    for (const l of curated) expect(l).toMatch(/^\S+ {2}# \S/);
    expect(header('dynamic-dns-suffixes.txt').some((h) => h.startsWith('# source: curated in scripts/refresh-reference/curated.mjs'))).toBe(true);
  });

  it('writes the curated pools with their reasons', () => {
    const lines = entries('pools.txt');
    expect(lines[0]).toMatch(/^pool\.ntp\.org ntp-pool {2}# NTP Pool Project/);
    for (const l of lines) expect(l).toMatch(/^\S+ \S+ {2}# \S/);
  });

  it('writes the curated platforms, each ASN with the organisation @ip-location-db/asn names for it, and the data is the shipped file', () => {
    const lines = entries('platform-networks.txt');
    expect(lines[0]).toMatch(/^asn 32934 meta {2}# Facebook, Inc\.; Meta /);
    expect(lines).toContain('domain fbcdn.net meta');
    for (const l of lines) expect(l).toMatch(/^(asn \d+ \S+ {2}# \S.*|domain \S+ \S+)$/);
    expect(header('platform-networks.txt').some((l) => /^# source: AS organisations checked against npm @ip-location-db\/asn@\S+ \(RouteViews, DB-IP, NRO; data of \d{4}-\d{2}-\d{2}\)$/.test(l))).toBe(true);
    // Curated from the script alone: the shipped file is exactly what it writes.
    expect(readFileSync(join(out, 'platform-networks.txt'), 'utf8')).toBe(readFileSync(join(ROOT, 'data', 'reference', 'platform-networks.txt'), 'utf8'));
  });

  it('gives the same bytes when run again', () => {
    const again = join(work, 'again');
    execFileSync(process.execPath, [SCRIPT, '--from', FIXTURE, '--out', again], { encoding: 'utf8' });
    for (const file of Object.values(REFERENCE_FILES)) {
      expect(readFileSync(join(again, file), 'utf8')).toBe(readFileSync(join(out, file), 'utf8'));
    }
  });

  it('writes what loadInfra reads', () => {
    const infra = loadInfra(out);
    const name = (p: number) => infra.providerName(p);
    expect(name(infra.providerOfAddress('13.32.0.1'))).toBe('cloudfront');
    expect(name(infra.providerOfAddress('2600:1f00:9000::1'))).toBe('aws');
    expect(name(infra.providerOfAddress('40.100.0.1'))).toBe('microsoft-365');
    expect(name(infra.cnameProvider('e1.a.akamaiedge.net'))).toBe('akamai');
    expect(name(infra.providerOfAsn(197068))).toBe('qrator');
    expect(infra.topSiteLists('google.com')).toBe(5);
    expect(infra.isDynamicDns('home.dyndns.org')).toBe(true);
    expect(infra.poolOf('1.pool.ntp.org')).toBe('ntp-pool');
  });

  it.each([
    ['misp-warninglists/akamai.json', '{"list": ["104.64.0/10"], "version": 20240422}', 'refresh-reference: misp akamai: bad CIDR "104.64.0/10"'],
    ['cdncheck_sources_data.json', '{"cdn": {"未知": ["1.2.3.0/24"]}}', 'refresh-reference: provider "未知" has no Latin name: add it to ALIASES'],
    ['cdn-ip-database_sources.json', '[{"provider": "X", "asns": ["ASX"], "static_ips": []}]', 'refresh-reference: x: bad ASN "ASX"'],
    ['cdncheck_provider.yaml', null, 'cdncheck_provider.yaml: ENOENT'],
    ['cdncheck_provider.yaml', 'cdn: [unclosed', 'refresh-reference: '],
  ])('stops on a bad %s with one line naming it', (file, text, message) => {
    const from = mkdtempSync(join(work, 'bad-'));
    cpSync(FIXTURE, from, { recursive: true });
    if (text === null) rmSync(join(from, file));
    else writeFileSync(join(from, file), text);
    const run = spawnSync(process.execPath, [SCRIPT, '--from', from, '--out', join(from, 'out')], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(message);
  });
});
