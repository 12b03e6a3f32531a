/**
 * fluxhound's own package: its folder (where package.json, the example
 * config and data/ sit) and its version, found from this file whether it
 * runs from src/ or dist/src/, once per process.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let found: { root: string | null; version: string } | null = null;

function locate(): { root: string | null; version: string } {
  if (found !== null) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fluxhound') return (found = { root: dir, version: typeof pkg.version === 'string' ? pkg.version : 'unknown' });
    } catch {
      // not here; one folder up
    }
  }
  return (found = { root: null, version: 'unknown' });
}

/** The package's folder, or null when it cannot be found. */
export function packageRoot(): string | null {
  return locate().root;
}

/** The version in package.json ('unknown' when it cannot be found). */
export function packageVersion(): string {
  return locate().version;
}
