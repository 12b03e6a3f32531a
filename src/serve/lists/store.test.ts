import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/daemon.js';
import { quietDaemon } from '../../../test/support/quiet-daemon.js';
import { liveAllowlist } from '../../act/rpz/allowlist.js';
import { defaultConfig } from '../../config/schema.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { asyncStore, type Store } from '../../store/store.js';
import { listsService, type ListsService } from './index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A daemon whose lists live in a real SQLite store; `other` is a second connection to the same file, as `fluxhound allow` opens. */
async function withStore(): Promise<{ lists: ListsService; daemon: ReturnType<typeof quietDaemon>; mine: Store; other: Store }> {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-lists-store-'));
  dirs.push(dir);
  const path = join(dir, 'state.db');
  const mine = new SqliteStore(path);
  const other = new SqliteStore(path);
  other.changeList({ op: 'add', list: 'deny', name: 'before-start.example', comment: 'already there', by: 'ops', at: 1 });
  const config = defaultConfig();
  const daemon = quietDaemon(config, { factories: [listsService], flags: { store: path }, isAllowed: liveAllowlist(config).isAllowed });
  daemon.context.store = mine;
  daemon.context.reader = asyncStore(mine);
  await daemon.start();
  return { lists: daemon.services[0] as ListsService, daemon, mine, other };
}

describe('lists service on a store', () => {
  it('applies the stored entries at start, and picks up changes made by another connection (the CLI) by polling', async () => {
    const { lists, daemon, mine, other } = await withStore();
    const { flagged } = daemon.context;
    expect(lists.kind).toBe('store');
    expect(flagged.match('x.before-start.example')?.listed?.by).toBe('ops');
    other.changeList({ op: 'add', list: 'deny', name: 'later.example', comment: 'from the CLI', by: 'alice', at: 2 });
    await waitFor('the poll to apply the new deny entry', () => flagged.match('later.example') !== null, 5000, 20);
    other.changeList({ op: 'add', list: 'allow', name: 'later.example', comment: 'allow wins', by: 'bob', at: 3 });
    await waitFor('the poll to apply the allow entry', () => flagged.match('later.example') === null, 5000, 20);
    expect(liveAllowlist(daemon.context.config).managed).toEqual(['later.example']);
    // A change through the daemon is in the store for every other reader, with its audit line.
    expect(await lists.change({ op: 'remove', list: 'deny', name: 'before-start.example', comment: 'gone', by: 'carol', at: 4 })).toBe(true);
    expect(other.listEntries('deny').map((e) => e.name)).toEqual(['later.example']);
    expect((await lists.audit(0, 10)).map((a) => `${a.action} ${a.target} ${a.by}`)).toEqual(['deny.remove before-start.example carol', 'allow.add later.example bob', 'deny.add later.example alice', 'deny.add before-start.example ops']);
    await daemon.stop();
    mine.close();
    other.close();
  });

  it('counts a failing poll and keeps the lists in force', async () => {
    const { lists, daemon, mine, other } = await withStore();
    mine.close();
    await lists.poll();
    expect(lists.stats.pollErrors).toBe(1);
    expect(daemon.context.flagged.match('before-start.example')).not.toBeNull();
    expect(await daemon.metrics()).toContain('fluxhound_lists_poll_errors_total 1');
    expect(daemon.health()).toEqual([expect.stringMatching(/^lists: cannot read the lists from the store, changes made elsewhere are not applied: /)]);
    await daemon.stop();
    other.close();
  });
});
