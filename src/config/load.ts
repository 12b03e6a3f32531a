import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { configSchema, type Config } from './schema.js';

export { ConfigError };

/** Read and validate a YAML or JSON config file (JSON is YAML). */
export function loadConfig(path: string | undefined, overrides: Record<string, unknown> = {}): Config {
  let raw: unknown = {};
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`config: ${path}: not valid YAML/JSON: ${firstLine((err as Error).message)}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`config: ${path}: expected a mapping of settings at the top level`);
    }
  }
  return validateConfig({ ...(raw as Record<string, unknown>), ...overrides }, path ?? 'flags');
}

export function validateConfig(raw: unknown, origin: string): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(`config: ${origin}: ${describeIssue(result.error)}`);
  const cfg = result.data;
  if (cfg.verdict.suspicious > cfg.verdict.fastFlux) {
    throw new ConfigError(`config: ${origin}: verdict.suspicious (${cfg.verdict.suspicious}) is above verdict.fastFlux (${cfg.verdict.fastFlux})`);
  }
  if (cfg.geography.minAsns > cfg.geography.maxAsns) {
    throw new ConfigError(`config: ${origin}: geography.minAsns (${cfg.geography.minAsns}) is above geography.maxAsns (${cfg.geography.maxAsns})`);
  }
  for (const [name, r] of Object.entries(cfg.weights)) {
    if (r.low === r.high) throw new ConfigError(`config: ${origin}: weights.${name}: low and high are equal (${r.low})`);
  }
  return cfg;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  return `${where}: ${firstLine(issue.message)}`;
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl === -1 ? s : s.slice(0, nl);
}
