import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { nullEnricher } from '../enrich/index.js';
import { sourceFormats } from '../registry.js';
import { Daemon } from './daemon.js';
import { followService } from './follow/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SIGHUP config reload', () => {
  it('applies a changed config file to the running daemon in place, and keeps the running config when the file is bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-reload-'));
    dirs.push(dir);
    const file = join(dir, 'fluxhound.yaml');
    writeFileSync(file, 'verdict:\n  fastFlux: 60\npolicy:\n  fastFlux: nxdomain\n');
    const config = defaultConfig();
    const policy = config.policy;
    const daemon = new Daemon({
      config,
      enricher: nullEnricher,
      infra: null,
      log: pino({ level: 'silent' }),
      out: null,
      factories: [followService(() => sourceFormats)],
      flags: { follow: [join(dir, 'dns.log')], followInterval: '20' },
      configPath: file,
    });
    await daemon.start();
    try {
      writeFileSync(file, 'verdict:\n  fastFlux: 75\npolicy:\n  fastFlux: sinkhole\n  allowlist: [example.org]\n');
      await daemon.reload();
      expect(config.verdict.fastFlux).toBe(75);
      expect(config.policy.fastFlux).toBe('sinkhole');
      expect(config.policy.allowlist).toEqual(['example.org']);
      // The same section objects: whatever holds `policy` sees the change.
      expect(config.policy).toBe(policy);
      writeFileSync(file, 'verdict:\n  fastFlux: lots\n');
      await daemon.reload();
      expect(config.verdict.fastFlux).toBe(75);
    } finally {
      await daemon.stop();
    }
  });
});
