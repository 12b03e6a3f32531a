/**
 * Errors that mean "the caller got something wrong", not "fluxhound broke":
 * they live with the model so every layer can throw them without importing
 * the CLI. The CLI prints them as one line and exits 2.
 */

/** A mistake in how fluxhound was called (a flag, an address, a path): one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
