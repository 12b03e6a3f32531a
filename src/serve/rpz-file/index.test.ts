import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { FlaggedDomains } from '../../act/flagged.js';
import { liveAllowlist } from '../../act/rpz/allowlist.js';
import { parseZone } from '../../../test/support/parse-zone.js';
import { existingSerial } from '../../act/rpz/zone-file.js';
import { validateConfig } from '../../config/load.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import type { ServeContext } from '../service.js';
import { IpBlocklistService } from './blocklist.js';
import { RpzFileService, rpzFileService } from './index.js';
import { DebouncedWrite, sweepExpired } from './writer.js';
import { waitFor } from '../../../test/support/daemon.js';
import { quietDaemon } from '../../../test/support/quiet-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-rpz-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function contextWith(raw: Record<string, unknown> = {}): ServeContext {
  const config = validateConfig(raw, 'test');
  const flagged = new FlaggedDomains({ isAllowed: liveAllowlist(config).isAllowed });
  return { config, flagged, log: pino({ level: 'silent' }), registry: new Registry() } as unknown as ServeContext;
}

const owners = (path: string): string[] =>
  parseZone(readFileSync(path, 'utf8'))
    .records.filter((r) => r.type === 'CNAME')
    .map((r) => r.owner.slice(0, -2).map((l) => l.toString('latin1')).join('.'));

const now = () => new Date().toISOString();

describe('rpz-file service', () => {
  it('writes a zone at start, rewrites it after changes with a higher serial, and writes on stop', async () => {
    const path = join(dir, 'live.rpz');
    writeFileSync(path, '; fluxhound RPZ zone: 0 policy records\n$ORIGIN rpz.fluxhound.\n$TTL 60\n@ SOA localhost. hostmaster.localhost. 1795726241 300 60 604800 60\n');
    const context = contextWith();
    const service = new RpzFileService(path, context, 20);
    await service.start();
    // An analyze run left an epoch-seconds serial; the flagged set's serial (1) is behind it: the file's still goes up.
    const first = existingSerial(path)!;
    expect(first).toBe(1795726242);
    expect(owners(path)).toEqual([]);
    context.flagged.upsert(flaggedVerdict('a.flux.example', { registered: 'flux.example', lastSeen: now() }));
    context.flagged.upsert(flaggedVerdict('b.flux.example', { registered: 'flux.example', lastSeen: now() }));
    await new Promise((r) => setTimeout(r, 60));
    await service.flush();
    expect(owners(path)).toEqual(['a.flux.example', '*.a.flux.example', 'flux.example', '*.flux.example', 'b.flux.example', '*.b.flux.example']);
    const second = existingSerial(path)!;
    expect(second).toBeGreaterThan(first);
    context.flagged.upsert(flaggedVerdict('c.example', { lastSeen: now() }));
    await service.stop();
    expect(owners(path)).toContain('c.example');
    expect(existingSerial(path)!).toBeGreaterThan(second);
    expect(await context.registry.getSingleMetricAsString('fluxhound_rpz_file_records')).toMatch(/^fluxhound_rpz_file_records 8$/m);
  });

  it('sweeps out flagged domains quiet for longer than policy.expiry', async () => {
    const context = contextWith({ policy: { expiry: 3600 } });
    context.flagged.upsert(flaggedVerdict('old.example', { lastSeen: '2025-04-03T00:00:00.000Z' }));
    context.flagged.upsert(flaggedVerdict('fresh.example', { lastSeen: '2025-04-03T02:00:00.000Z' }));
    expect(sweepExpired(context.flagged, 3600, Date.parse('2025-04-03T02:30:00Z') / 1000)).toBe(1);
    expect([...context.flagged.entries()].map((v) => v.domain)).toEqual(['fresh.example']);
  });

  it('SIGHUP reload: a name added to an allowlist file leaves the flagged set and the zone', async () => {
    const allowFile = join(dir, 'allow.txt');
    writeFileSync(allowFile, '# nothing yet\n');
    const path = join(dir, 'reload.rpz');
    const config = validateConfig({ policy: { allowlistFiles: [allowFile] } }, 'test');
    const daemon = quietDaemon(config, {
      factories: [rpzFileService],
      flags: { rpzFile: path },
      isAllowed: liveAllowlist(config).isAllowed,
    });
    const context = daemon.context;
    const service = daemon.services[0] as RpzFileService;
    await daemon.start();
    context.flagged.upsert(flaggedVerdict('www.mistake.example', { registered: 'mistake.example', lastSeen: now() }));
    await new Promise((r) => setTimeout(r, 40));
    await service.flush();
    expect(owners(path)).toContain('mistake.example');
    writeFileSync(allowFile, 'mistake.example  # a false positive\n');
    expect(await daemon.reload()).toBe(true);
    await service.flush();
    expect(owners(path)).toEqual(['mistake.example', '*.mistake.example']);
    expect(parseZone(readFileSync(path, 'utf8')).records.filter((r) => r.type === 'CNAME').every((r) => r.data[0] === 'rpz-passthru.')).toBe(true);
    expect(context.flagged.size).toBe(0);
    // And it stays out: the shared allowlist now refuses it.
    expect(context.flagged.upsert(flaggedVerdict('www.mistake.example', { registered: 'mistake.example' }))).toBe(false);
    await daemon.stop();
  });

  it('refuses to start on a path it cannot write, with one line', async () => {
    const service = new RpzFileService(join(dir, 'missing', 'z.rpz'), contextWith());
    await expect(service.start()).rejects.toThrow(/^rpz-file: cannot write .*z\.rpz: ENOENT$/);
  });
});

describe('ip-blocklist service', () => {
  it('lists the flux addresses of the flagged set and drops those quiet for longer than the expiry', async () => {
    const path = join(dir, 'flux.ipset');
    const context = contextWith({ policy: { expiry: 3600 } });
    const clock = Date.parse('2025-04-03T04:00:00Z') / 1000;
    const service = new IpBlocklistService(path, 'ipset', context, 10, () => clock);
    await service.start();
    context.flagged.upsert(flaggedVerdict('a.example', { addresses: ['203.0.113.5', { address: '203.0.113.200', last_seen: '2025-04-03T01:00:00.000Z' }, { address: '192.0.2.1', known: true }] }));
    await new Promise((r) => setTimeout(r, 40));
    await service.flush();
    const adds = readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('add '));
    // 203.0.113.5 was last seen at 03:58:26, 94 s before the clock: 3,506 s remain; .200 has been quiet for 3 h.
    expect(adds).toEqual(['add fluxhound4-next 203.0.113.5 timeout 3506 -exist']);
    await service.stop();
  });
});

describe('DebouncedWrite', () => {
  it('turns a burst of changes into one write, never runs two at once, and catches changes made during a write', async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    const writer = new DebouncedWrite(
      async () => {
        calls++;
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
      },
      10,
      () => undefined,
    );
    for (let i = 0; i < 100; i++) writer.schedule();
    await new Promise((r) => setTimeout(r, 20)); // the write has started
    writer.schedule(); // a change during the write
    const both = [writer.flush(), writer.flush()];
    await Promise.all(both);
    await writer.flush();
    expect(calls).toBe(2);
    expect(most).toBe(1);
    expect(writer.writes).toBe(2);
  });
});

describe('DebouncedWrite: a change after a quiet spell', () => {
  it('is written at once; a change within the delay of that write waits for the delay (or a flush)', async () => {
    let calls = 0;
    const writer = new DebouncedWrite(
      async () => {
        calls++;
      },
      60_000,
      () => undefined,
    );
    writer.schedule();
    writer.schedule();
    await waitFor('the first change to be written without waiting the delay', () => calls === 1, 5000, 5);
    writer.schedule();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    await writer.flush();
    expect(calls).toBe(2);
  });
});
