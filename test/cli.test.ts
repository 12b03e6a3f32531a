/**
 * The command line as a user meets it: exit codes, one-line errors, stdin,
 * gzip, several files as one stream. Runs the built CLI (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-cli-'));

function fluxhound(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

describe('fluxhound analyze (CLI)', () => {
  it('prints a table of flagged domains and a summary on stderr', () => {
    const r = fluxhound(['analyze', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SCORE\s+VERDICT\s+FLUX\s+DOMAIN\s+REASONS/);
    expect(r.stdout).toContain('fast-flux');
    expect(r.stderr).toMatch(/read [\d,]+ records from 1 input/);
    expect(r.stderr).toMatch(/flagged \d+: \d+ fast-flux/);
    expect(r.stderr).toMatch(/enrichment: asn: @ip-location-db\/asn/);
  });

  it('writes NDJSON verdicts with --json, benign only with --all', () => {
    const flagged = lines(fluxhound(['analyze', '--json', EXAMPLE]).stdout).map((l) => JSON.parse(l));
    expect(flagged.length).toBeGreaterThan(0);
    for (const v of flagged) {
      expect(['fast-flux', 'suspicious']).toContain(v.verdict);
      expect(['single', 'double']).toContain(v.flux);
      expect(v.score).toBeGreaterThanOrEqual(0);
      expect(v.score).toBeLessThanOrEqual(100);
      expect(Object.keys(v)).toEqual(expect.arrayContaining(['domain', 'registered_domain', 'reasons', 'features', 'first_seen', 'last_seen']));
    }
    const all = lines(fluxhound(['analyze', '--json', '--all', EXAMPLE]).stdout).map((l) => JSON.parse(l));
    expect(all.length).toBeGreaterThan(flagged.length);
    expect(all.some((v) => v.verdict === 'benign' && v.flux === null)).toBe(true);
  });

  it('adds the Holz et al. baseline with --baseline holz', () => {
    const first = JSON.parse(lines(fluxhound(['analyze', '--json', '--baseline', 'holz', EXAMPLE]).stdout)[0]!);
    expect(first.holz).toEqual({
      score: expect.any(Number),
      flagged: expect.any(Boolean),
      first_flagged: first.holz.flagged ? expect.any(String) : null,
      lookups_to_flag: first.holz.flagged ? expect.any(Number) : null,
    });
    expect(fluxhound(['analyze', '--baseline', 'holz', EXAMPLE]).stdout).toContain('HOLZ');
  });

  it('reads stdin, gzip, and several files as one stream', () => {
    const text = readFileSync(EXAMPLE);
    const gz = join(dir, 'example.log.gz');
    writeFileSync(gz, gzipSync(text));
    const plain = fluxhound(['analyze', '--json', EXAMPLE]).stdout;
    expect(fluxhound(['analyze', '--json', gz]).stdout).toBe(plain);
    expect(fluxhound(['analyze', '--json', '-'], text).stdout).toBe(plain);
    // The same log twice: twice the records, the same flagged domains.
    const twice = fluxhound(['analyze', '--json', EXAMPLE, gz]);
    expect(twice.stderr).toMatch(/from 2 inputs/);
    const domains = (s: string) => lines(s).map((l) => JSON.parse(l).domain).sort();
    expect(domains(twice.stdout)).toEqual(domains(plain));
  });

  it('keeps going through a truncated gzip and reports where', () => {
    const gz = gzipSync(readFileSync(EXAMPLE));
    const cut = join(dir, 'cut.log.gz');
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.7)));
    const r = fluxhound(['analyze', '--json', cut]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipped [1-9]/);
    expect(r.stderr).toMatch(/cut\.log\.gz:\d+: .*(truncated|unexpected end)/i);
  });

  it.each([
    ['a missing file', ['analyze', join(dir, 'nope.log')], /nope\.log/],
    ['an unknown format name', ['analyze', '--format', 'bogus', EXAMPLE], /bogus/],
    ['a file in no known format', ['analyze', 'package.json'], /unknown input format/],
    ['a bad number', ['analyze', '--window', 'soon', EXAMPLE], /--window takes a positive whole number/],
    ['a bad config', ['analyze', '--config', 'package.json', EXAMPLE], /config: package\.json: /],
    ['an unknown flag', ['analyze', '--frobnicate', EXAMPLE], /unknown option/],
  ])('exits 2 with one line for %s', (_what, args, message) => {
    const r = fluxhound(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('lists flux service networks with --networks', () => {
    const table = fluxhound(['analyze', '--networks', EXAMPLE]);
    expect(table.stdout).toMatch(/FLUX NETWORKS\nID\s+DOMAINS/);
    expect(table.stdout).toMatch(/^fn-1\s+\d+/m);
    const records = lines(fluxhound(['analyze', '--json', '--networks', EXAMPLE]).stdout).map((l) => JSON.parse(l));
    const networks = records.filter((r) => r.record === 'network');
    expect(networks.length).toBeGreaterThanOrEqual(1);
    expect(networks[0]).toMatchObject({ id: 'fn-1', domains: expect.any(Number), addresses: expect.any(Number) });
    const verdicts = records.filter((r) => r.record === undefined);
    expect(verdicts.every((v) => v.network === null || /^fn-\d+$/.test(v.network))).toBe(true);
    expect(verdicts.some((v) => v.network === 'fn-1')).toBe(true);
  });

  it('writes run statistics for benchmarks', () => {
    const stats = join(dir, 'stats.json');
    expect(fluxhound(['analyze', '--json', '--stats-json', stats, EXAMPLE]).code).toBe(0);
    const s = JSON.parse(readFileSync(stats, 'utf8'));
    expect(s.records).toBeGreaterThan(1000);
    expect(s.domainsTracked).toBeGreaterThan(10);
    expect(s.maxRssBytes).toBeGreaterThan(1e6);
  });
});
