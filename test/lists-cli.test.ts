/**
 * `fluxhound allow|deny|show` as an operator runs them (the built CLI), on a
 * real SQLite store file: usage errors are one line and exit 2, a change
 * writes its entry and audit line, show prints what the store knows.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { emptyBatch, type Store } from '../src/store/store.js';
import { fluxhound, requireBuilt } from './support/cli.js';
import { flaggedVerdict } from './helpers/verdicts.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-lists-cli-'));
const store = join(dir, 'state.db');
const T = Date.UTC(2026, 10, 1) / 1000;

beforeAll(() => {
  requireBuilt();
  const db: Store = new SqliteStore(store);
  const batch = emptyBatch();
  const first = flaggedVerdict('login.evil-bank.com', { registered: 'evil-bank.com', label: 'suspicious', reasons: ['9 IPs in 4 ASNs'] });
  const second = { ...flaggedVerdict('login.evil-bank.com', { registered: 'evil-bank.com', reasons: ['74 IPs in 19 ASNs across 17 countries and 63 prefixes'] }), network: 'fn-3' };
  batch.verdicts.push({ ts: T, verdict: first }, { ts: T + 600, verdict: second });
  batch.domains.push({ name: 'login.evil-bank.com', firstSeen: T - 60, lastSeen: T + 600, queries: 42 });
  batch.tuples.push({ name: 'login.evil-bank.com', type: 'A', data: '203.0.113.7', firstSeen: T - 60, lastSeen: T + 600, count: 12, ttl: 60 });
  batch.tuples.push({ name: 'other.example', type: 'A', data: '192.0.2.1', firstSeen: T, lastSeen: T, count: 1, ttl: 300 });
  db.write(batch);
  db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fluxhound allow|deny|show', () => {
  it.each([
    [['allow', 'add', 'x.example', '--comment', 'c', '--store', join(dir, 'missing.db')], /^fluxhound: allow add: no store file at .*missing\.db \(give --store PATH, or -c with serve\.store\.path\)\n$/],
    [['allow', 'add', 'x.example', '--store', 'STORE'], /^fluxhound: allow add: --comment TEXT is required \(why the change is made\)\n$/],
    [['deny', 'remove', 'x.example', '--comment', ' ', '--store', 'STORE'], /^fluxhound: deny remove: --comment TEXT is required/],
    [['deny', 'add', 'bad name.example', '--comment', 'c', '--store', 'STORE'], /^fluxhound: deny: "bad\\\\032name\.example" is not a domain name\n$/],
    [['deny', 'add', 'co.uk', '--comment', 'c', '--store', 'STORE'], /^fluxhound: deny: "co\.uk" is the root or a public suffix; a deny entry would block every name under it\n$/],
    [['allow', 'add', '192.0.2.1', '--comment', 'c', '--store', 'STORE'], /^fluxhound: allow: "192\.0\.2\.1" is an address; the allow list takes domain names\n$/],
    [['show', 'x.example', '--store', join(dir, 'missing.db')], /^fluxhound: show: no store file at /],
    [['allow', 'frobnicate'], /^fluxhound: .*frobnicate.* \(see fluxhound --help\)\n$/],
  ])('%j: one line, exit 2', async (args, message) => {
    const run = await fluxhound(args.map((a) => (a === 'STORE' ? store : a)));
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });

  it('adds, replaces, lists and removes entries; --by defaults to $USER, else cli; each change audited', async () => {
    const env = { ...process.env, USER: 'carol' };
    expect((await fluxhound(['allow', 'add', 'Partner.Example.', '--comment', 'our partner', '--store', store], env)).stdout).toMatch(/^allow added: partner\.example \(by carol at 20\d\d-/);
    const noUser = { ...process.env };
    delete noUser.USER;
    await fluxhound(['allow', 'add', 'partner.example', '--comment', 'our partner, renewed', '--store', store], noUser);
    await fluxhound(['deny', 'add', 'promo.shady.example', '--comment', 'spam\trun', '--by', 'dave', '--store', store]).then((r) => expect(r.code).toBe(2));
    await fluxhound(['deny', 'add', 'promo.shady.example', '--comment', 'spam run', '--by', 'dave', '--store', store]);
    const list = await fluxhound(['allow', 'list', '--store', store]);
    expect(list.stdout).toMatch(/^partner\.example\tcli\t20\d\d-[^\t]+\tour partner, renewed\n$/);
    const json = (await fluxhound(['deny', 'list', '--json', '--store', store])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json).toMatchObject([{ list: 'deny', name: 'promo.shady.example', by: 'dave', comment: 'spam run' }]);
    expect((await fluxhound(['deny', 'remove', 'promo.shady.example', '--comment', 'done', '--store', store])).code).toBe(0);
    const db: Store = new SqliteStore(store);
    try {
      expect(db.audit(0, 10).map((a) => `${a.action} ${a.target} ${a.by}`)).toEqual([
        'deny.remove promo.shady.example ' + (process.env.USER || 'cli'),
        'deny.add promo.shady.example dave',
        'allow.add partner.example cli',
        'allow.add partner.example carol',
      ]);
      expect(db.listEntries('deny')).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('config: the store defaults to serve.store.path of -c CONFIG', async () => {
    const config = join(dir, 'fluxhound.yaml');
    writeFileSync(config, `serve:\n  store:\n    path: ${JSON.stringify(store)}\n`);
    const run = await fluxhound(['allow', 'list', '-c', config]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('partner.example');
  });

  it('show: latest verdict with reasons, history oldest first, passive DNS, entries covering the name', async () => {
    await fluxhound(['deny', 'add', 'evil-bank.com', '--comment', 'known phish', '--by', 'erin', '--store', store]);
    const text = await fluxhound(['show', 'LOGIN.evil-bank.com', '--store', store]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe('login.evil-bank.com');
    expect(text.stdout).toContain('  verdict: fast-flux, score 90, single flux, network fn-3\n');
    expect(text.stdout).toContain('    - 74 IPs in 19 ASNs across 17 countries and 63 prefixes\n');
    expect(text.stdout).toContain('  queried 42 times, 2026-10-31T23:59:00.000Z to 2026-11-01T00:10:00.000Z\n');
    expect(text.stdout).toContain('  allow entry: none\n');
    expect(text.stdout).toMatch(/ {2}deny entry: evil-bank\.com \(by erin at 20\d\d-[^:]+:[^:]+:[^)]+: known phish\)\n/);
    expect(text.stdout).toContain('history (2, oldest first):\n  2026-11-01T00:00:00.000Z  suspicious  score 90  single\n  2026-11-01T00:10:00.000Z  fast-flux  score 90  single\n');
    expect(text.stdout).toContain('passive DNS (1):\n  login.evil-bank.com  A  203.0.113.7  2026-10-31T23:59:00.000Z .. 2026-11-01T00:10:00.000Z  x12  ttl 60\n');
    const json = JSON.parse((await fluxhound(['show', 'login.evil-bank.com', '--json', '--store', store])).stdout);
    expect(json).toMatchObject({
      name: 'login.evil-bank.com',
      verdict: { verdict: 'fast-flux', network: 'fn-3' },
      history: [{ ts: T, verdict: 'suspicious' }, { ts: T + 600, verdict: 'fast-flux', flux: 'single', score: 90 }],
      passive_dns: [{ name: 'login.evil-bank.com', type: 'A', data: '203.0.113.7', count: 12, ttl: 60 }],
      allowlisted: null,
      denylisted: { name: 'evil-bank.com', by: 'erin' },
      allowlisted_by_config: false,
    });
    const unknown = await fluxhound(['show', 'never.example', '--store', store]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('never.example: nothing known in the store\n');
  });
});
