/**
 * `fluxhound report` as a user runs it: the built CLI as a real process on a
 * real SQLite store, each format, --out, and usage errors as one line with
 * exit code 2 (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { escapeName } from '../src/dns/name-text.js';
import { escapeHtml } from '../src/serve/block-page/page.js';
import type { TransparencyReport } from '../src/serve/reports/index.js';
import { CLI, requireBuilt } from './support/cli.js';
import { HOSTILE, seedStore } from './helpers/report-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-report-cli-'));
const STORE = join(dir, 'state.db');
const CONFIG = join(dir, 'fluxhound.yaml');

beforeAll(() => {
  requireBuilt();
  seedStore(STORE).close();
  writeFileSync(
    CONFIG,
    [
      'customers:',
      '  - id: acme',
      '    name: ACME Ltd',
      '    contact: soc@acme.example',
      '    networks: [192.0.2.0/24]',
      '  - id: globex',
      '    name: Globex',
      '    networks: [198.51.100.0/24]',
      'serve:',
      '  store:',
      `    path: ${JSON.stringify(STORE)}`,
      '',
    ].join('\n'),
  );
});

function fluxhound(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'report', ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'Pacific/Kiritimati' }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DAY = ['--since', '2026-11-30', '--until', '2026-12-01T00:00:00Z'];

describe('fluxhound report', () => {
  it('prints the JSON report of one customer from the store the config names (dates in UTC whatever TZ says)', () => {
    const r = fluxhound(['--customer', 'acme', ...DAY, '--format', 'json', '-c', CONFIG]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as TransparencyReport;
    expect(report.customer).toEqual({ id: 'acme', name: 'ACME Ltd', contact: 'soc@acme.example' });
    expect(report.period).toEqual({ since: '2026-11-30T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' });
    expect(report.totals.blocked_names).toBe(3);
    expect(report.items[0]).toMatchObject({ name: 'login.evil.example', kind: 'blocked', count: 3, devices: 2 });
    expect(report.items[0]!.why).toContain('double fast flux');
  });

  it('writes HTML (the default) to --out atomically, from --store', () => {
    const out = join(dir, 'acme.html');
    const r = fluxhound(['--customer', 'acme', ...DAY, '--out', out, '--store', STORE, '-c', CONFIG]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(escapeHtml(escapeName(HOSTILE)));
    expect(html).not.toContain('<script');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes CSV for another customer', () => {
    const r = fluxhound(['--customer', 'globex', ...DAY, '--format', 'csv', '-c', CONFIG]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\r\n');
    expect(lines[0]).toMatch(/^customer,name,domain,kind,/);
    expect(lines.slice(1, -1)).toHaveLength(1);
    expect(lines[1]).toMatch(/^globex,login\.evil\.example,evil\.example,blocked,/);
  });

  it.each([
    [['--customer', 'nobody', ...DAY, '-c', CONFIG], /^fluxhound: report: no customer 'nobody' in the config \(customers: acme, globex\)$/],
    [['--customer', 'acme', ...DAY], /^fluxhound: report: no customer 'acme' in the config \(it names none: give -c CONFIG\)$/],
    [['--customer', 'acme', '--since', 'last tuesday', '-c', CONFIG], /^fluxhound: report: --since takes an ISO 8601 date or time/],
    [['--customer', 'acme', '--since', '2026-12-01', '--until', '2026-11-30', '-c', CONFIG], /^fluxhound: report: --since must come before --until$/],
    [['--customer', 'acme', ...DAY, '--format', 'pdf', '-c', CONFIG], /^fluxhound: report: --format takes one of html, csv, json, not 'pdf'$/],
    [['--customer', 'acme', ...DAY, '--store', join(dir, 'missing.db'), '-c', CONFIG], /^fluxhound: report: no store file at .*missing\.db \(give --store PATH, or -c with serve\.store\.path\)$/],
    [['--customer', 'acme', ...DAY, '--store', join(dir, 'missing.db'), '--cluster', 'http://127.0.0.1:1', '-c', CONFIG], /^fluxhound: report: give --store PATH or --cluster URL, not both$/],
    [['--customer', 'acme', ...DAY, '--cluster', 'http://127.0.0.1:1', '-c', CONFIG], /^fluxhound: report: cannot read the cluster at http:\/\/127\.0\.0\.1:1: /],
    [['--customer', 'acme', '-c', CONFIG], /^fluxhound: required option '--since <date>' not specified/],
    [['--customer', 'acme', ...DAY, '--out', join(dir, 'no', 'such', 'dir.html'), '-c', CONFIG], /^fluxhound: report: cannot write .*: ENOENT$/],
  ])('usage error %#: one line, exit 2', (args, message) => {
    const r = fluxhound(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('never creates a store where none was', () => {
    fluxhound(['--customer', 'acme', ...DAY, '--store', join(dir, 'typo.db'), '-c', CONFIG]);
    expect(existsSync(join(dir, 'typo.db'))).toBe(false);
  });
});
