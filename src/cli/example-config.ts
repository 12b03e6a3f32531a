/**
 * Where the documented example config is: fluxhound.example.yaml at the top
 * of the package (shipped by package.json "files"), so --help names a file
 * that exists.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../config/package.js';

export function exampleConfigPath(): string {
  const root = packageRoot();
  const candidate = root === null ? null : join(root, 'fluxhound.example.yaml');
  if (candidate === null || !existsSync(candidate)) return 'fluxhound.example.yaml';
  // Relative when it is under the working directory (a clone), absolute otherwise (an installed package).
  const rel = relative(process.cwd(), candidate);
  return rel.startsWith('..') || rel === '' ? candidate : rel;
}
