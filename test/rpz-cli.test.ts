/**
 * The blocking flags end to end, through the built CLI: analyze --rpz /
 * --ip-blocklist, start-up errors as one line and exit 2, and serve keeping
 * a zone file, a blocklist and the block page current from a followed log.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseZone } from './support/parse-zone.js';
import { freePort, startDaemon, waitFor, type Daemon } from './support/daemon.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-rpz-cli-'));
const daemons: Daemon[] = [];
afterAll(async () => {
  for (const d of daemons) await d.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

function config(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

const owners = (path: string) =>
  parseZone(readFileSync(path, 'utf8')).records.filter((r) => r.type !== 'SOA' && r.type !== 'NS').map((r) => r.owner.slice(0, -2).map((l) => l.toString('latin1')).join('.'));

describe.skipIf(!existsSync(CLI))('blocking flags (built CLI)', () => {
  it('analyze --rpz and --ip-blocklist write the flagged names and the flux addresses', async () => {
    const zone = join(dir, 'a.rpz');
    const list = join(dir, 'a.nft');
    const r = await cli(['analyze', '-q', '--json', '--rpz', zone, '--ip-blocklist', list, '--ip-format', 'nftables', EXAMPLE]);
    expect(r.code).toBe(0);
    const flagged = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { domain: string; registered_domain: string });
    const got = new Set(owners(zone));
    for (const v of flagged) {
      expect(got.has(v.domain), v.domain).toBe(true);
      expect(got.has(`*.${v.registered_domain}`), v.registered_domain).toBe(true);
    }
    expect(got.has('www.paper-drive.com')).toBe(false);
    expect(readFileSync(list, 'utf8')).toMatch(/^table inet fluxhound \{$/m);
  }, 60_000);

  it.each([
    [['--rpz', '/nonexistent-dir/z.rpz'], /^fluxhound: analyze: --rpz: cannot write \/nonexistent-dir\/z\.rpz: ENOENT$/],
    [['--ip-blocklist', '/nonexistent-dir/l.txt'], /^fluxhound: analyze: --ip-blocklist: cannot write .*ENOENT$/],
    [['--rpz', 'z.rpz', '-c', 'UNKNOWN_ACTION'], /^fluxhound: config: .*: policy\.fastFlux: /],
    [['--rpz', 'z.rpz', '-c', 'BAD_SINKHOLE'], /^fluxhound: config: policy\.sinkhole\.name: "a b\.example" is not a domain name/],
    [['--rpz', 'z.rpz', '-c', 'BAD_ALLOWLIST'], /^fluxhound: config: policy\.allowlistFiles: cannot read .*missing\.txt: ENOENT$/],
    [['--ip-blocklist', 'l.txt', '--ip-format', 'csv'], /--ip-format/],
  ])('refuses bad settings at start-up with one line and exit 2: %j', async (args, message) => {
    const fixed = args.map((a) =>
      a === 'UNKNOWN_ACTION'
        ? config('policy:\n  fastFlux: block\n')
        : a === 'BAD_SINKHOLE'
          ? config('policy:\n  fastFlux: sinkhole\n  sinkhole:\n    name: "a b.example"\n')
          : a === 'BAD_ALLOWLIST'
            ? config(`policy:\n  allowlistFiles: [${join(dir, 'missing.txt')}]\n`)
            : a,
    );
    const r = await cli(['analyze', '-q', ...fixed, EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  }, 60_000);

  it('serve keeps the zone, the blocklist and the block page current', async () => {
    const zone = join(dir, 'serve.rpz');
    const list = join(dir, 'serve.txt');
    const port = await freePort();
    const d = startDaemon(
      process.execPath,
      [CLI, 'serve', '--no-store', '--no-flags', '--log-level', 'warn', '--follow', EXAMPLE, '--rpz-file', zone, '--ip-blocklist', list, '--block-page', `127.0.0.1:${port}`],
      { cwd: dir },
    );
    daemons.push(d);
    await waitFor('the zone to hold my.vikoko.info', () => existsSync(zone) && owners(zone).includes('my.vikoko.info'), 30_000, 200);
    expect(owners(zone)).toContain('*.vikoko.info');
    await waitFor('the blocklist', () => existsSync(list) && /^\d+\.\d+\.\d+\.\d+ {2}# first /m.test(readFileSync(list, 'utf8')), 30_000, 200);
    const page = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/', headers: { Host: 'www.my.vikoko.info' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
        .on('error', reject)
        .end();
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<code>www.my.vikoko.info</code>');
    await d.stop();
    expect(d.process.exitCode ?? d.process.signalCode).toBe(0);
  }, 90_000);

  it('serve refuses an unwritable --rpz-file with one line and exit 2', async () => {
    const r = await cli(['serve', '--no-store', '--no-flags', '--rpz-file', '/nonexistent-dir/z.rpz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rpz-file: cannot write \/nonexistent-dir\/z\.rpz: ENOENT/);
  }, 60_000);
});
