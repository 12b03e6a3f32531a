/**
 * Issue 12, defect 17: what a new user met first. Each as the user meets it,
 * through the built command line.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, requireBuilt, ROOT } from './support/cli.js';
import { freePort } from './support/daemon.js';

const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-papercuts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fluxhound(args: string[], cwd = dir) {
  requireBuilt();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('new-user papercuts', () => {
  it('refuses a Zeek log read as --format pcap in one line, exit 2, naming what it looks like', () => {
    const r = fluxhound(['analyze', '--format', 'pcap', EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`fluxhound: ${EXAMPLE}: not a pcap or pcapng capture (no capture magic number at its start); it looks like zeek: use --format zeek or auto\n`);
  });

  it('clears the progress line before the table is printed on the same terminal', () => {
    // A terminal for stdout and stderr (script(1) gives the command a pty); the input trickles in so the progress line shows.
    const lines = readFileSync(EXAMPLE, 'utf8').split(/(?<=\n)/);
    const parts: string[] = [];
    for (let i = 0; i < 12; i++) {
      const part = join(dir, `part${i}`);
      writeFileSync(part, lines.slice(Math.floor((i * lines.length) / 12), Math.floor(((i + 1) * lines.length) / 12)).join(''));
      parts.push(part);
    }
    const feed = `for f in ${parts.join(' ')}; do cat "$f"; sleep 0.4; done`;
    const command = `${feed} | ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} analyze --format zeek --top 3 -`;
    const r = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', COLUMNS: '200' }, timeout: 60_000 });
    expect(r.status).toBe(0);
    const out = r.stdout;
    const progress = out.lastIndexOf('rec/s');
    const table = out.indexOf('SCORE');
    expect(progress, 'a progress line was shown').toBeGreaterThan(-1);
    expect(table).toBeGreaterThan(progress);
    // After the last progress text: a carriage return and erase-line, then the table.
    expect(out.slice(progress, table)).toContain('\r\x1b[K');
  }, 70_000);

  it('serve --dns on a port in use exits 2 and leaves no new fluxhound.db behind; an existing store stays', async () => {
    const port = await freePort();
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(port, '127.0.0.1', () => resolve()));
    try {
      const cwd = join(dir, 'serve-fresh');
      mkdirSync(cwd);
      const r = fluxhound(['serve', '--dns', `127.0.0.1:${port}`, '--upstream', '127.0.0.1:9', '--no-flags'], cwd);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1)).toBe(`fluxhound: serve: dns: cannot listen on 127.0.0.1:${port}/udp: EADDRINUSE`);
      expect(existsSync(join(cwd, 'fluxhound.db'))).toBe(false);
      expect(existsSync(join(cwd, 'fluxhound.db-wal'))).toBe(false);

      // A store the user already had: it stays, with what it held.
      const kept = join(dir, 'kept.db');
      const mine = new Database(kept);
      mine.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me')");
      mine.close();
      const again = fluxhound(['serve', '--dns', `127.0.0.1:${port}`, '--upstream', '127.0.0.1:9', '--no-flags', '--store', kept]);
      expect(again.code).toBe(2);
      const reopened = new Database(kept, { readonly: true });
      expect(reopened.prepare('SELECT text FROM notes').pluck().all()).toEqual(['keep me']);
      reopened.close();
    } finally {
      holder.close();
    }
  }, 70_000);

  it('says a dnstap unix socket folder does not exist (not "permission denied")', () => {
    const socket = join(dir, 'no-such-folder', 'dnstap.sock');
    const r = fluxhound(['serve', '--dnstap', `unix:${socket}`, '--no-flags']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`fluxhound: serve: dnstap: cannot listen on unix:${socket}: folder ${join(dir, 'no-such-folder')} does not exist (create it first)`);
  });

  it('--help names an example config that exists, and the package ships it with the LICENSE', () => {
    for (const command of ['analyze', 'serve']) {
      const help = fluxhound([command, '--help']).stdout.replace(/\s+/g, ' ');
      const named = /every setting documented in (\S+)/.exec(help)?.[1];
      expect(named, `${command} --help names the example config`).toBeDefined();
      expect(existsSync(named!)).toBe(true);
      expect(readFileSync(named!, 'utf8')).toBe(readFileSync(join(ROOT, 'fluxhound.example.yaml'), 'utf8'));
    }
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).license).toBe('Apache-2.0');
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(pack.status).toBe(0);
    const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'fluxhound.example.yaml', 'README.md']));
  }, 70_000);
});
