/**
 * Real-daemon tests need real binaries. Under CI=true a missing binary is a
 * failure that names the Debian package to install; elsewhere the test is
 * skipped with that message.
 */
import { execFileSync } from 'node:child_process';

export interface Binary {
  name: string;
  /** Absolute path, or null when missing. */
  path: string | null;
  /** Why tests using it are skipped; null when present. */
  missing: string | null;
}

const SEARCH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

export function findBinary(name: string, debianPackage: string): Binary {
  let path: string | null = null;
  try {
    path = execFileSync('sh', ['-c', `command -v ${name}`], {
      env: { ...process.env, PATH: [process.env.PATH ?? '', ...SEARCH].join(':') },
      encoding: 'utf8',
    }).trim();
  } catch {
    path = null;
  }
  if (path !== null && path.length > 0) return { name, path, missing: null };
  const missing = `${name} not found: install the Debian package ${debianPackage} (apt-get install -y ${debianPackage})`;
  if (process.env.CI === 'true') throw new Error(missing);
  return { name, path: null, missing };
}
