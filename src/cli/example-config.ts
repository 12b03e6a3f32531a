/**
 * Where the documented example config is: fluxhound.example.yaml at the top
 * of the package (shipped by package.json "files"), found from this file
 * whether it runs from src/ or dist/src/, so --help names a file that exists.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export function exampleConfigPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'fluxhound.example.yaml');
    if (existsSync(candidate)) {
      // Relative when it is under the working directory (a clone), absolute otherwise (an installed package).
      const rel = relative(process.cwd(), candidate);
      return rel.startsWith('..') || rel === '' ? candidate : rel;
    }
  }
  return 'fluxhound.example.yaml';
}
