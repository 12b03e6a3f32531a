/**
 * `fluxhound analyze --intel` as an operator runs it (the built CLI): feeds
 * loaded before the input, per-feed counts in the summary on stderr, a bad
 * spec one line and exit 2 before anything is read, an unreachable URL one
 * line and no copy (never fatal).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fluxhound, ROOT, requireBuilt } from './support/cli.js';

const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
let dir: string;
beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-intel-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analyze --intel', () => {
  it('loads a feed file and reports accepted, skipped and refused per feed', async () => {
    const feed = join(dir, 'botnet.txt');
    writeFileSync(feed, '# partner botnet list\nflux-one.example\ncom\n185.100.87.9\n10.0.0.1\nnot a value at all\n');
    const r = await fluxhound(['analyze', '--intel', `${feed},name=partner,action=block`, EXAMPLE], { ...process.env, NO_COLOR: '1' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^intel partner \(list, .*botnet\.txt\): 2 accepted, 1 skipped, refused 1 public-suffix, 1 non-routable$/m);
    expect(r.stderr).toMatch(/^ {2}skipped .*botnet\.txt:6: /m);
  });

  it('a listed domain is reported with the feed and entry that list it (JSON provenance)', async () => {
    const feed = join(dir, 'partner.txt');
    writeFileSync(feed, 'paper-drive.com\n');
    const r = await fluxhound(['analyze', '--json', '--intel', `${feed},name=partner,action=block,confidence=90`, EXAMPLE]);
    expect(r.code).toBe(0);
    const listed = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { domain: string; intel?: Array<{ feed: string; ref: string; action: string }> }).find((v) => v.domain === 'paper-drive.com');
    expect(listed?.intel).toEqual([expect.objectContaining({ feed: 'partner', ref: `${feed}:1`, action: 'block', value: 'paper-drive.com', confidence: 90 })]);
  });

  it('an --intel warninglist extends the reference lists: a feed entry it names is refused', async () => {
    const warninglist = join(dir, 'ours.json');
    writeFileSync(warninglist, JSON.stringify({ name: 'Our own domains', version: 1, description: 'ours', type: 'hostname', matching_attributes: ['domain', 'hostname'], list: ['paper-drive.com'] }));
    const feed = join(dir, 'partner2.txt');
    writeFileSync(feed, 'paper-drive.com\nflux-one.example\n');
    const r = await fluxhound(['analyze', '--intel', `${warninglist},kind=warninglist`, '--intel', `${feed},name=partner2`, EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^intel partner2 \(list, .*\): 1 accepted, 0 skipped, refused 1 allowlisted$/m);
    // The warninglist is no feed of flux: no line of its own.
    expect(r.stderr).not.toMatch(/^intel ours /m);
  });

  it('a bad --intel is one line and exit 2, before any input is read', async () => {
    const r = await fluxhound(['analyze', '--intel', `${join(dir, 'x.txt')},colour=red`, join(dir, 'no-such-input.log')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^fluxhound: --intel '.*x\.txt,colour=red': unknown option 'colour'/);
  });

  it('serve: a bad --intel is one line and exit 2 before anything listens', async () => {
    const r = await fluxhound(['serve', '--intel', 'x.txt,kind=xml']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^fluxhound: --intel 'x\.txt,kind=xml': kind: /);
  });

  it('a feed path that is not there is a usage error: one line, exit 2, before any input is read (analyze and serve)', async () => {
    const typo = join(dir, 'typo', 'path.txt');
    const r = await fluxhound(['analyze', '--intel', typo, EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^fluxhound: analyze: intel feed path: no such file or directory: .*typo\/path\.txt$/m);
    const s = await fluxhound(['serve', '--intel', `${typo},name=partner`]);
    expect(s.code).toBe(2);
    expect(s.stderr.trim().split('\n')).toHaveLength(1);
    expect(s.stderr).toMatch(/^fluxhound: serve: intel feed partner: no such file or directory: .*typo\/path\.txt$/m);
  });

  it('an unreachable URL feed is one line and no copy; the run goes on', async () => {
    const r = await fluxhound(['analyze', '--intel', 'http://127.0.0.1:9/feed.txt?key=secret,name=remote', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^fluxhound: intel feed remote: http:\/\/127\.0\.0\.1:9\/feed\.txt: ECONNREFUSED; no copy to use$/m);
    expect(r.stderr).toMatch(/^intel remote \(unknown, http:\/\/127\.0\.0\.1:9\/feed\.txt\): no copy/m);
    expect(r.stderr).not.toContain('secret');
  });
});
