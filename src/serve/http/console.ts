/**
 * The console's static files (src/web, built into dist/src/web): ISSUE 14 CONTRACT PLACEHOLDER, the web engineer
 * replaces it. The listener serves them without a token (they hold no data) with the console CSP.
 */

export interface ConsoleAsset {
  /** Content-Type header. */
  type: string;
  body: Buffer;
  /** Strong ETag of the body. */
  etag: string;
}

/** The Content-Security-Policy of every console response. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The static file at `path` ('/' is index.html), or null when there is none. */
export function consoleAsset(path: string): ConsoleAsset | null {
  void path;
  return null;
}
