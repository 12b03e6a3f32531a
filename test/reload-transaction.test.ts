/**
 * Issue 12, defect 11: SIGHUP applied half a config. A file the schema
 * accepts but the RPZ rejects (a sinkhole name that is not a name) left the
 * forwarder sinkholing while the RPZ file kept NXDOMAIN. Reload is now a
 * transaction: the forwarder (real UDP socket on 127.0.0.1) and the RPZ file
 * both keep the old config, and a good file reaches both.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { liveAllowlist } from '../src/act/rpz/allowlist.js';
import { parseZone } from './support/parse-zone.js';
import { loadConfig } from '../src/config/load.js';
import { dnsService } from '../src/serve/dns/index.js';
import { rpzFileService, type RpzFileService } from '../src/serve/rpz-file/index.js';
import { flaggedVerdict } from './helpers/verdicts.js';
import { freePort } from './support/daemon.js';
import { quietDaemon } from './support/quiet-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-reload-tx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Answer = packet.DecodedPacket & { rcode?: string };

async function ask(port: number, name: string): Promise<Answer> {
  const socket = createSocket('udp4');
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${name} within 3 s`)), 3000);
      socket.once('message', (bytes) => {
        clearTimeout(timer);
        resolve(packet.decode(bytes));
      });
      socket.send(packet.encode({ type: 'query', id: 4711, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', class: 'IN', name }] }), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** The CNAME target the zone file gives the flagged name. */
function zoneAction(path: string, owner: string): string | undefined {
  const zone = parseZone(readFileSync(path, 'utf8'));
  const record = zone.records.find((r) => r.type === 'CNAME' && r.owner.slice(0, -2).map((l) => l.toString('latin1')).join('.') === owner);
  return record?.data[0];
}

describe('SIGHUP reload is a transaction', () => {
  it('keeps forwarder and RPZ on the old config when one service refuses the new file, and applies a good file to both', async () => {
    const configPath = join(dir, 'fluxhound.yaml');
    const zonePath = join(dir, 'live.rpz');
    writeFileSync(configPath, 'policy:\n  fastFlux: nxdomain\n');
    const config = loadConfig(configPath);
    const port = await freePort();
    const daemon = quietDaemon(config, {
      factories: [rpzFileService, dnsService()],
      // The upstream is never asked: the only name queried is flagged.
      flags: { rpzFile: zonePath, dns: `127.0.0.1:${port}`, upstream: ['127.0.0.1:9'] },
      configPath,
      isAllowed: liveAllowlist(config).isAllowed,
    });
    const rpz = daemon.services.find((s) => s.name === 'rpz-file') as RpzFileService;
    await daemon.start();
    try {
      daemon.context.flagged.upsert(flaggedVerdict('www.flux.test', { registered: 'flux.test', lastSeen: new Date().toISOString() }));
      await rpz.flush();
      expect((await ask(port, 'www.flux.test')).rcode).toBe('NXDOMAIN');
      expect(zoneAction(zonePath, 'www.flux.test')).toBe('.');

      // The schema accepts any string as a sinkhole name; the RPZ does not.
      writeFileSync(configPath, 'policy:\n  fastFlux: sinkhole\n  sinkhole:\n    name: "not a name!"\n    ipv4: 192.0.2.53\n');
      expect(await daemon.reload()).toBe(false);
      await rpz.flush();
      expect(config.policy.fastFlux).toBe('nxdomain');
      const refused = await ask(port, 'www.flux.test');
      expect(refused.rcode).toBe('NXDOMAIN');
      expect(refused.answers ?? []).toEqual([]);
      expect(zoneAction(zonePath, 'www.flux.test')).toBe('.');
      expect(await daemon.context.registry.getSingleMetricAsString('fluxhound_config_reloads_total')).toMatch(/^fluxhound_config_reloads_total\{result="refused"\} 1$/m);

      writeFileSync(configPath, 'policy:\n  fastFlux: sinkhole\n  sinkhole:\n    name: sink.example.net\n    ipv4: 192.0.2.53\n');
      expect(await daemon.reload()).toBe(true);
      await rpz.flush();
      expect(config.policy.fastFlux).toBe('sinkhole');
      const sinkholed = await ask(port, 'www.flux.test');
      expect(sinkholed.rcode).toBe('NOERROR');
      expect(sinkholed.answers?.map((a) => a.type === 'A' && a.data)).toEqual(['192.0.2.53']);
      expect(zoneAction(zonePath, 'www.flux.test')).toBe('sink.example.net.');
    } finally {
      await daemon.stop();
    }
  });

  it('refuses an allowlist file that cannot be read, changing nothing', async () => {
    const configPath = join(dir, 'allow.yaml');
    writeFileSync(configPath, 'verdict:\n  fastFlux: 60\n');
    const config = loadConfig(configPath);
    const daemon = quietDaemon(config, { configPath });
    await daemon.start();
    try {
      writeFileSync(configPath, `verdict:\n  fastFlux: 70\npolicy:\n  allowlistFiles: [${JSON.stringify(join(dir, 'missing.txt'))}]\n`);
      expect(await daemon.reload()).toBe(false);
      expect(config.verdict.fastFlux).toBe(60);
      expect(config.policy.allowlistFiles).toEqual([]);
    } finally {
      await daemon.stop();
    }
  });
});
