import { ConfigError } from '../config/errors.js';
import { InputError } from '../sources/input.js';
import { UsageError } from '../model/errors.js';

export { UsageError };

/** Print an error the way a command-line tool should, and exit. */
export function exitWith(err: unknown): never {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof InputError) {
    process.stderr.write(`${prefixed(err.message)}\n`);
    process.exit(2);
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`fluxhound: internal error: ${message}\n`);
  process.exit(1);
}

function prefixed(message: string): string {
  return message.startsWith('fluxhound') ? message : `fluxhound: ${message}`;
}
