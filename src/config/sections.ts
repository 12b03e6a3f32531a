/**
 * How a reloaded config takes effect in a running daemon: parts of it hold a
 * section (the detector its `verdict`, the allowlist its `policy`), so each
 * section object is changed in place, never replaced. The daemon and each of
 * its detector worker threads apply a reload the same way.
 */
import type { Config } from './schema.js';

export function replaceSections(config: Config, next: Config): void {
  const target = config as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(next)) {
    const current = target[key];
    if (typeof current === 'object' && current !== null && typeof value === 'object' && value !== null && !Array.isArray(value)) Object.assign(current, value);
    else target[key] = value;
  }
}
