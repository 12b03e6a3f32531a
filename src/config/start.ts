/**
 * The config a command starts from. When neither a file nor a flag sets
 * anything, that is the defaults, taken from their literal (defaults.ts):
 * zod and yaml are then never loaded, which is ~170 of the ~400 modules an
 * analyze run loads (~0.1 s of CPU at each start). Anything else goes
 * through loadConfig and the schema, exactly as before.
 */
import { defaultSettings } from './defaults.js';
import type { Config } from './schema.js';

export async function startConfig(path: string | undefined, overrides: Record<string, unknown> = {}): Promise<Config> {
  if (path === undefined && Object.keys(overrides).length === 0) return defaultSettings();
  const { loadConfig } = await import('./load.js');
  return loadConfig(path, overrides);
}
