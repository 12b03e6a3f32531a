/**
 * Documentation that stays true: every module README has the same sections
 * (as CoreDNS keeps its plugin READMEs), and the top README opens with the
 * two commands CI and new users run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SECTIONS = [/^## Name$/m, /^## Description$/m, /^## Syntax/m, /^## Examples$/m, /^## Metrics$/m];

function readmes(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...readmes(path));
    else if (entry === 'README.md') found.push(path);
  }
  return found;
}

describe('READMEs', () => {
  // The deployment kit's README keeps the same sections.
  const modules = [...readmes(join(ROOT, 'src')), ...readmes(join(ROOT, 'deploy'))];

  it('exist for the main modules', () => {
    const names = modules.map((p) => relative(ROOT, p));
    for (const dir of ['src/detect', 'src/sources', 'src/enrich', 'src/config', 'src/act']) {
      expect(names).toContain(`${dir}/README.md`);
    }
  });

  it.each(modules.map((p) => [relative(ROOT, p), p]))('%s has Name, Description, Syntax, Examples, Metrics', (_rel, path) => {
    const text = readFileSync(path, 'utf8');
    for (const section of SECTIONS) expect(text).toMatch(section);
  });

  it('README.md opens with the install-and-run and the test commands', () => {
    const head = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').slice(0, 40).join('\n');
    expect(head).toContain('npm ci && npm start');
    expect(head).toContain('npm test');
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });
});
