/**
 * `fluxhound analyze --misp-feed DIR` on examples/example.dns.log, through
 * the real command (flags, config, detector, sink, atomic writes): the feed
 * MISP would add holds the flagged names, its objects match the domain-ip
 * template, and a second run writes the same bytes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MispEvent, MispFeed } from '../src/act/misp/feed.js';
import { analyzeCommand } from '../src/cli/analyze.js';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
const TEMPLATE = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'cti', 'misp', 'objects', 'domain-ip.json'), 'utf8')) as {
  uuid: string;
  version: number;
  attributes: Record<string, { 'misp-attribute': string }>;
};

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-misp-cli-'));

async function run(...args: string[]): Promise<void> {
  // The table goes to stdout; this test reads the files.
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await analyzeCommand().exitOverride().parseAsync(['node', 'analyze', '--quiet', '--no-progress', ...args], { from: 'node' });
  } finally {
    out.mockRestore();
  }
}

function readFeed(feedDir: string): Map<string, string> {
  return new Map(readdirSync(feedDir).sort().map((name) => [name, readFileSync(join(feedDir, name), 'utf8')]));
}

let first: Map<string, string>;
beforeAll(async () => {
  const config = join(dir, 'fluxhound.yaml');
  writeFileSync(config, 'misp:\n  org:\n    name: Example CERT\n    uuid: 5d8c3a2e-1f3b-4c6a-9d0e-2b7f4a1c9e55\n  tlp: green\n');
  await run('--config', config, '--misp-feed', join(dir, 'feed'), EXAMPLE);
  first = readFeed(join(dir, 'feed'));
  await run('--config', config, '--misp-feed', join(dir, 'again'), EXAMPLE);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analyze --misp-feed', () => {
  it('writes events, manifest.json and hashes.csv, and nothing else', () => {
    const names = [...first.keys()];
    expect(names).toContain('manifest.json');
    expect(names).toContain('hashes.csv');
    const manifest = JSON.parse(first.get('manifest.json')!) as MispFeed['manifest'];
    expect(names.filter((n) => n !== 'manifest.json' && n !== 'hashes.csv')).toEqual(Object.keys(manifest).map((u) => `${u}.json`).sort());
    expect(Object.keys(manifest).length).toBeGreaterThan(0);
  });

  it('shares the example’s flux names, with the configured org and TLP, objects per the template', () => {
    const events = [...first].filter(([n]) => /^[0-9a-f-]{36}\.json$/.test(n)).map(([, text]) => (JSON.parse(text) as { Event: MispEvent }).Event);
    const domains = events.flatMap((e) => e.Attribute.filter((a) => a.type === 'domain').map((a) => a.value));
    expect(domains).toContain('my.vikoko.info');
    expect(domains).not.toContain('www.paper-drive.com');
    for (const e of events) {
      expect(e.Orgc).toEqual({ name: 'Example CERT', uuid: '5d8c3a2e-1f3b-4c6a-9d0e-2b7f4a1c9e55' });
      expect(e.Tag[0]!.name).toBe('tlp:green');
      expect(e.Object.length).toBe(e.Attribute.filter((a) => a.type === 'domain').length);
      for (const o of e.Object) {
        expect([o.template_uuid, o.template_version]).toEqual([TEMPLATE.uuid, String(TEMPLATE.version)]);
        for (const a of o.Attribute) expect(a.type).toBe(TEMPLATE.attributes[a.object_relation!]!['misp-attribute']);
        expect(o.Attribute.filter((a) => a.object_relation === 'ip').length).toBeGreaterThan(0);
      }
    }
    // Flux addresses are shared for blocking.
    expect(events.some((e) => e.Attribute.some((a) => a.type === 'ip-dst' && a.to_ids))).toBe(true);
  });

  it('a second run writes the same bytes', () => {
    expect(readFeed(join(dir, 'again'))).toEqual(first);
  });

  it('a path that is a file is a usage error before the input is read', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    await expect(run('--misp-feed', file, EXAMPLE)).rejects.toThrow('analyze: --misp-feed: ' + file + ' is not a directory');
  });
});
