/**
 * The published package holds the product alone: the built src/ (no tests,
 * no bench, no scripts, nothing stale), the reference data, the example, the
 * deployment kit (deploy/: systemd units, resolver configs) and the documents. Reads what `npm pack` would ship without running a build
 * (npm test has built; a build here would rewrite files other tests run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, ROOT } from './support/cli.js';

/** Top-level files a package may carry beside dist/src, data/, examples/ and deploy/. */
const DOCUMENTS = new Set(['package.json', 'README.md', 'LICENSE', 'NOTICE', 'fluxhound.example.yaml']);

function productSources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...productSources(path));
    else if (entry.endsWith('.ts') && !/\.(test|case|d)\.ts$/.test(entry)) found.push(relative(ROOT, path));
  }
  return found;
}

/** Why a packed file does not belong, or null when it does. */
function misplaced(path: string): string | null {
  if (DOCUMENTS.has(path) || path.startsWith('data/') || path.startsWith('examples/') || path.startsWith('deploy/')) return null;
  if (!path.startsWith('dist/src/')) return 'outside dist/src, data/, examples/, deploy/ and the documents';
  const source = path.replace(/^dist\//, '').replace(/\.js(\.map)?$/, '.ts');
  if (/\.(test|case)\.ts$/.test(source)) return 'a test';
  if (!existsSync(join(ROOT, source))) return `built from ${source}, which no longer exists (a stale build: npm run build starts clean)`;
  return null;
}

describe('the npm package', () => {
  let files: string[] = [];

  beforeAll(() => {
    requireBuilt();
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
    files = pack?.files.map((f) => f.path) ?? [];
  });

  it('ships no tests, bench, scripts, test helpers or stale build output', () => {
    const wrong = files.flatMap((path) => {
      const why = misplaced(path);
      return why === null ? [] : [`${path}: ${why}`];
    });
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('ships every product module, the command line first', () => {
    expect(files).toContain('dist/src/cli/main.js');
    const missing = productSources(join(ROOT, 'src'))
      .map((source) => `dist/${source.replace(/\.ts$/, '.js')}`)
      .filter((built) => !files.includes(built));
    expect(missing).toEqual([]);
  });

  it('ships the example config and the whole deployment kit', () => {
    expect(files).toContain('fluxhound.example.yaml');
    const kit = (dir: string): string[] =>
      readdirSync(join(ROOT, dir)).flatMap((entry) => (statSync(join(ROOT, dir, entry)).isDirectory() ? kit(`${dir}/${entry}`) : [`${dir}/${entry}`]));
    const missing = kit('deploy').filter((path) => !files.includes(path));
    expect(missing).toEqual([]);
    expect(files).toContain('deploy/systemd/fluxhound.service');
    expect(files).toContain('deploy/README.md');
  });

  it('reports a test, a bench file and a stale module', () => {
    expect(misplaced('dist/src/sources/pcap/pcap.test.js')).toBe('a test');
    expect(misplaced('dist/bench/main.js')).toMatch(/outside dist\/src/);
    expect(misplaced('dist/test/support/pcap-synth.js')).toMatch(/outside dist\/src/);
    expect(misplaced('dist/src/sources/pcap/synth.js')).toMatch(/stale build/);
    expect(misplaced('dist/src/detect/score.js')).toBeNull();
    expect(misplaced('examples/example.dns.log')).toBeNull();
    expect(misplaced('deploy/systemd/fluxhound.service')).toBeNull();
  });
});
