/**
 * A cluster's URL as the CLI takes it and prints it: parsed (http or https
 * only) and redacted (never with its password). Kept apart from the client
 * (connect.ts), so that a run that only checks for a cluster setting loads
 * no ClickHouse code.
 */
import { UsageError } from '../../model/errors.js';

/** The URL as a URL object; a usage error (one line, exit 2) when it is not http(s). */
export function parseClusterUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`cluster: '${redactedUrl(text)}' is not a URL (http://HOST:8123)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`cluster: ${redactedUrl(text)}: only http:// and https:// are supported`);
  return url;
}

/** The URL without its password, for logs and errors. */
export function redactedUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    // Not a URL: hide whatever sits between '//' and '@'.
    return text.replace(/\/\/[^/@]*@/, '//***@');
  }
}
