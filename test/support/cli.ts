/**
 * The built command line, for tests that run it as a user would. `npm test`
 * builds before vitest starts; a test never builds (a build during the run
 * would rewrite files other tests are running from).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Throws a clear message when there is no build to run. */
export function requireBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test builds first)`);
}
