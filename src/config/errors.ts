/**
 * A configuration problem, reported as one line and exit code 2. In its own
 * module so the many places that raise or catch it do not load the schema
 * (zod) and the YAML reader with it.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
