import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';
import { defaultConfig } from './schema.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('config', () => {
  it('documents exactly the defaults in fluxhound.example.yaml', () => {
    expect(loadConfig('fluxhound.example.yaml')).toEqual(defaultConfig());
  });

  it('merges a partial file over the defaults, YAML or JSON', () => {
    const yaml = loadConfig(file('a.yaml', 'window: 600\nweights:\n  asns: { low: 1, high: 4, points: 40 }\n'));
    expect(yaml.window).toBe(600);
    expect(yaml.weights.asns).toEqual({ low: 1, high: 4, points: 40 });
    expect(yaml.weights.countries).toEqual(defaultConfig().weights.countries);
    const json = loadConfig(file('a.json', '{"limits": {"maxDomains": 1000}}'));
    expect(json.limits.maxDomains).toBe(1000);
    expect(json.limits.idleTimeout).toBe(86400);
  });

  it.each([
    ['unknown key (typo)', 'windw: 600', /config: .*: \(top level\): Unrecognized key.*windw/],
    ['wrong type', 'window: soon', /window: .*expected number/i],
    ['negative', 'limits:\n  maxDomains: -5', /limits\.maxDomains/],
    ['thresholds inverted', 'verdict:\n  fastFlux: 20\n  suspicious: 50', /verdict\.suspicious \(50\) is above verdict\.fastFlux \(20\)/],
    ['flat ramp', 'weights:\n  ips: { low: 3, high: 3, points: 5 }', /weights\.ips: low and high are equal/],
    ['geography bounds inverted', 'geography:\n  minAsns: 9\n  maxAsns: 4', /geography\.minAsns \(9\) is above geography\.maxAsns \(4\)/],
    ['not a mapping', '- 1\n- 2', /expected a mapping/],
    ['broken YAML', 'window: [1,', /not valid YAML/],
  ])('rejects %s with one clear line', (_what, text, message) => {
    const path = file('bad.yaml', text);
    expect(() => loadConfig(path)).toThrow(ConfigError);
    try {
      loadConfig(path);
    } catch (err) {
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('says which file it cannot read', () => {
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/config: cannot read .*missing\.yaml: ENOENT/);
  });
});
