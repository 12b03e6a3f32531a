import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from './defaults.js';
import { ConfigError, loadConfig, validateConfig } from './load.js';
import { configSchema } from './schema.js';
import { startConfig } from './start.js';

describe('defaults literal', () => {
  it('is exactly what the schema makes of an empty config, and passes every check', () => {
    expect(defaultSettings()).toEqual(configSchema.parse({}));
    expect(defaultSettings()).toEqual(validateConfig({}, 'test'));
    expect(defaultSettings()).toEqual(loadConfig(undefined));
  });

  it('is a fresh copy each time: a command may change its config', () => {
    const a = defaultSettings();
    a.limits.maxDomains = 1;
    a.intel.feeds.push({ ...configSchema.parse({ intel: { feeds: [{ name: 'x', path: '/x' }] } }).intel.feeds[0]! });
    expect(defaultSettings()).toEqual(configSchema.parse({}));
  });
});

describe('startConfig', () => {
  it('takes the defaults when nothing sets config, and loadConfig otherwise', async () => {
    expect(await startConfig(undefined, {})).toEqual(configSchema.parse({}));
    expect((await startConfig(undefined, { window: 600 })).window).toBe(600);
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-start-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'window: 900\n');
    expect(await startConfig(file, {})).toEqual(loadConfig(file, {}));
    writeFileSync(file, 'window: abc\n');
    await expect(startConfig(file, {})).rejects.toThrow(ConfigError);
    await expect(startConfig(undefined, { window: -1 })).rejects.toThrow(/^config: flags: window: /);
  });
});
