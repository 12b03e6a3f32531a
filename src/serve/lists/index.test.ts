import { describe, expect, it } from 'vitest';
import { aResponse, bot, T0 } from '../../../test/helpers/observations.js';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { quietDaemon } from '../../../test/support/quiet-daemon.js';
import { liveAllowlist } from '../../act/rpz/allowlist.js';
import { defaultConfig, type Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import type { ListChange } from '../../model/query-log.js';
import { Recorder } from '../../store/recorder.js';
import type { StoreBatch } from '../../store/store.js';
import type { Daemon } from '../daemon.js';
import { sweepExpired } from '../rpz-file/writer.js';
import { ListsService, listsService } from './index.js';
import { MemoryListSource } from './source.js';

const AT = Date.UTC(2030, 0, 1) / 1000;
const add = (list: 'allow' | 'deny', name: string, comment = 'because'): ListChange => ({ op: 'add', list, name, comment, by: 'alice', at: AT });
const remove = (list: 'allow' | 'deny', name: string, comment = 'undo'): ListChange => ({ op: 'remove', list, name, comment, by: 'bob', at: AT + 60 });

/** A daemon (real detector and flagged set, sharing the config's live allowlist) with the lists service started on it, without a store. */
async function started(config: Config = defaultConfig()): Promise<{ daemon: Daemon; lists: ListsService }> {
  const daemon = quietDaemon(config, { enricher: octetEnricher, factories: [listsService], flags: { rpzFile: '/unused' }, isAllowed: liveAllowlist(config).isAllowed });
  await daemon.start();
  const lists = daemon.services[0] as ListsService;
  return { daemon, lists };
}

/** Live traffic that makes the detector flag `name` fast-flux: twelve lookups, five new bot addresses each, TTL 120. */
function flux(daemon: Daemon, name: string, salt = 0): void {
  for (let lookup = 0; lookup < 12; lookup++) {
    daemon.context.observations.observe(aResponse(T0 + lookup * 300, name, [0, 1, 2, 3, 4].map((k) => bot(salt + lookup * 5 + k)), 120));
  }
}

describe('lists service (no store: in memory)', () => {
  it('is on when the daemon blocks, serves or stores, and sets context.lists on start', async () => {
    const config = defaultConfig();
    const bare = quietDaemon(config, { factories: [listsService], flags: { follow: ['x.log'] } });
    expect(bare.services).toEqual([]);
    const { daemon, lists } = await started();
    expect(daemon.context.lists).toBe(lists);
    expect(lists.kind).toBe('memory');
    await daemon.stop();
    expect(daemon.context.lists).toBeNull();
  });

  it('an allow entry takes a flagged name out at once; removing it brings the detection back', async () => {
    const { daemon, lists } = await started();
    const { flagged } = daemon.context;
    flux(daemon, 'login.evil-bank.com');
    expect(flagged.match('login.evil-bank.com')?.verdict).toBe('fast-flux');
    const serial = flagged.serial;
    expect(await lists.change(add('allow', 'Evil-Bank.com.', 'false positive, ticket 42'))).toBe(true);
    expect(flagged.match('login.evil-bank.com')).toBeNull();
    expect(flagged.serial).toBeGreaterThan(serial);
    expect(liveAllowlist(daemon.context.config).allowlist.names).toContain('evil-bank.com');
    expect(lists.entries('allow')).toEqual([{ list: 'allow', name: 'evil-bank.com', comment: 'false positive, ticket 42', by: 'alice', at: AT }]);
    // New traffic while allowed: still out.
    flux(daemon, 'login.evil-bank.com', 100);
    expect(flagged.match('login.evil-bank.com')).toBeNull();
    expect(await lists.change(remove('allow', 'evil-bank.com'))).toBe(true);
    expect(flagged.match('login.evil-bank.com')?.domain).toBe('login.evil-bank.com');
    expect(flagged.match('login.evil-bank.com')?.listed).toBeUndefined();
    expect(await lists.change(remove('allow', 'evil-bank.com'))).toBe(false);
    await daemon.stop();
  });

  it('a SIGHUP reload keeps the managed allow entries', async () => {
    const { daemon, lists } = await started();
    flux(daemon, 'login.evil-bank.com');
    await lists.change(add('allow', 'evil-bank.com'));
    expect(await daemon.reload()).toBe(true);
    expect(liveAllowlist(daemon.context.config).isAllowed('login.evil-bank.com')).toBe(true);
    flux(daemon, 'login.evil-bank.com', 200);
    expect(daemon.context.flagged.match('login.evil-bank.com')).toBeNull();
    await daemon.stop();
  });

  it('an allow entry with nothing flagged under it still bumps the serial (the RPZ gains its PASSTHRU)', async () => {
    const { daemon, lists } = await started();
    const serial = daemon.context.flagged.serial;
    await lists.change(add('allow', 'partner.example'));
    expect(daemon.context.flagged.serial).toBe(serial + 1);
    await daemon.stop();
  });

  it('a deny entry blocks the name and everything under it like a flagged verdict, and goes when removed', async () => {
    const { daemon, lists } = await started();
    const { flagged } = daemon.context;
    await lists.change(add('deny', 'promo.shady.example', 'spam campaign'));
    const v = flagged.match('a.b.promo.shady.example');
    expect(v).toMatchObject({ domain: 'promo.shady.example', verdict: 'fast-flux', score: 100, listed: { list: 'deny', comment: 'spam campaign', by: 'alice', at: AT } });
    expect(v?.reasons).toEqual(['on the operator deny list since 2030-01-01T00:00:00.000Z: spam campaign']);
    expect(flagged.match('shady.example')).toBeNull();
    // Never expires, however quiet.
    expect(sweepExpired(flagged, 60, AT + 10 * 365 * 86400)).toBe(0);
    await lists.change(remove('deny', 'promo.shady.example'));
    expect(flagged.match('promo.shady.example')).toBeNull();
    await daemon.stop();
  });

  it('removing a deny entry keeps the name blocked when the detector flags it', async () => {
    const { daemon, lists } = await started();
    const { flagged } = daemon.context;
    await lists.change(add('deny', 'login.evil-bank.com'));
    flux(daemon, 'login.evil-bank.com');
    // The operator's entry holds the name while it is there.
    expect(flagged.match('login.evil-bank.com')?.listed).toBeDefined();
    await lists.change(remove('deny', 'login.evil-bank.com'));
    const v = flagged.match('login.evil-bank.com');
    expect(v?.listed).toBeUndefined();
    expect(v?.verdict).toBe('fast-flux');
    await daemon.stop();
  });

  it('allow wins over deny, and the deny entry blocks again once the allow entry goes', async () => {
    const { daemon, lists } = await started();
    const { flagged } = daemon.context;
    await lists.change(add('deny', 'x.contested.example'));
    await lists.change(add('allow', 'contested.example'));
    expect(flagged.match('x.contested.example')).toBeNull();
    // Added in the other order, too.
    await lists.change(add('deny', 'y.contested.example'));
    expect(flagged.match('y.contested.example')).toBeNull();
    await lists.change(remove('allow', 'contested.example'));
    expect(flagged.match('x.contested.example')?.listed).toBeDefined();
    expect(flagged.match('y.contested.example')?.listed).toBeDefined();
    await daemon.stop();
  });

  it('refuses a public suffix, the root, an address and a missing comment with one UsageError each, and counts them', async () => {
    const { daemon, lists } = await started();
    await expect(lists.change(add('deny', 'co.uk'))).rejects.toThrow(/^deny: "co.uk" is the root or a public suffix; a deny entry would block every name under it$/);
    await expect(lists.change(add('allow', '.'))).rejects.toThrow(UsageError);
    await expect(lists.change(add('allow', '192.0.2.1'))).rejects.toThrow(/is an address/);
    await expect(lists.change(add('deny', 'evil.example', ''))).rejects.toThrow(/a comment is required/);
    expect(daemon.context.flagged.size).toBe(0);
    expect(lists.entries('deny')).toEqual([]);
    const text = await daemon.metrics();
    expect(text).toContain('fluxhound_lists_refused_total{reason="public_suffix"} 1');
    expect(text).toContain('fluxhound_lists_refused_total{reason="name"} 2');
    expect(text).toContain('fluxhound_lists_refused_total{reason="comment"} 1');
    await daemon.stop();
  });

  it('keeps the audit trail, newest first, and reports entries and changes as metrics', async () => {
    const { daemon, lists } = await started();
    await lists.change(add('deny', 'a.evil.example', 'first'));
    await lists.change(add('allow', 'b.good.example', 'second'));
    await lists.change(remove('deny', 'a.evil.example', 'third'));
    expect(await lists.audit(0, 10)).toEqual([
      { at: AT + 60, by: 'bob', action: 'deny.remove', target: 'a.evil.example', comment: 'third' },
      { at: AT, by: 'alice', action: 'allow.add', target: 'b.good.example', comment: 'second' },
      { at: AT, by: 'alice', action: 'deny.add', target: 'a.evil.example', comment: 'first' },
    ]);
    expect(await lists.audit(AT + 1, 10)).toHaveLength(1);
    const text = await daemon.metrics();
    expect(text).toContain('fluxhound_lists_entries{list="allow"} 1');
    expect(text).toContain('fluxhound_lists_entries{list="deny"} 0');
    expect(text).toContain('fluxhound_lists_changes_applied_total{list="deny",op="add"} 1');
    expect(text).toContain('fluxhound_lists_changes_applied_total{list="deny",op="remove"} 1');
    await daemon.stop();
  });

  it('a deny verdict stays out of the recorded verdict history', async () => {
    const { daemon, lists } = await started();
    await lists.change(add('deny', 'denied.example'));
    flux(daemon, 'login.evil-bank.com');
    const batches: StoreBatch[] = [];
    const recorder = new Recorder({ write: (b) => void batches.push(b) }, daemon.context.flagged, null);
    recorder.flush();
    expect(batches.flatMap((b) => b.verdicts.map((r) => r.verdict.domain))).toEqual(['login.evil-bank.com']);
    await daemon.stop();
  });
});

describe('memory list source', () => {
  it('bounds its audit trail, dropping the oldest', async () => {
    const source = new MemoryListSource(3);
    for (let i = 0; i < 5; i++) await source.change({ op: 'add', list: 'allow', name: `n${i}.example`, comment: 'c', by: 'b', at: i });
    expect((await source.audit(0, 10)).map((a) => a.target)).toEqual(['n4.example', 'n3.example', 'n2.example']);
    expect(source.auditDropped).toBe(2);
    expect(await source.version()).toBe(5);
  });
});
