/**
 * How a failed poll is told: one line, `taxii: WHERE: WHAT`, naming the
 * resource without credentials or query, quoting what the server said only
 * after control characters are dropped and the length is capped (a hostile
 * server writes into our log), and never the feed's secrets.
 */

/** The error every failed poll rejects with: its message is the one line to log. */
export class TaxiiError extends Error {
  override readonly name = 'TaxiiError';
  constructor(detail: string) {
    super(`taxii: ${detail}`);
  }
}

/** A URL as a message names it: scheme, host and path; no user, password, query or fragment. */
export function locationOf(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Longest server text quoted in a message. */
const MAX_QUOTED = 200;

/** Server-supplied text, safe for one log line: control characters become spaces, runs collapse, long text is cut. */
export function quoted(value: unknown): string {
  const text = (typeof value === 'string' ? value : JSON.stringify(value) ?? '')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
}

/** Replaces every secret (at least 4 characters) in `message` with [redacted]: a server may echo what it was sent. */
export function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

const HINT: Record<number, string> = {
  401: "check the feed's auth: user and passwordFile, or tokenFile",
  403: 'these credentials may not read it',
  404: 'nothing there: check the URL and the collection',
  406: 'the server cannot answer application/taxii+json;version=2.1: not a TAXII 2.1 server?',
};

/**
 * A non-2xx answer as one line: the status, the TAXII error message's title,
 * description and http_status when the body is one (§3.6.1), and a hint for
 * the statuses an operator can act on.
 */
export function statusMessage(where: string, status: number, body: string): string {
  const error = errorFields(body);
  const parts: string[] = [];
  if (error.title !== undefined) parts.push(`title ${quoted(error.title)}`);
  if (error.description !== undefined) parts.push(`description ${quoted(error.description)}`);
  if (error.http_status !== undefined && String(error.http_status) !== String(status)) parts.push(`http_status ${quoted(error.http_status)}`);
  const hint = HINT[status];
  return `${where}: HTTP ${status}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}${hint === undefined ? '' : ` (${hint})`}`;
}

/**
 * The TAXII error message's fields. An error body is read to 64 KiB only, so
 * a huge one arrives cut: then the complete string fields before the cut are
 * still read. Not JSON at all (an HTML error page, a proxy's text): none.
 */
function errorFields(body: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    const fields: Record<string, unknown> = {};
    for (const name of ['title', 'description', 'http_status']) {
      const match = new RegExp(`"${name}"\\s*:\\s*("(?:[^"\\\\]|\\\\.)*")`).exec(body);
      if (match === null) continue;
      try {
        fields[name] = JSON.parse(match[1]!) as unknown;
      } catch {
        // A broken escape: leave the field out.
      }
    }
    return fields;
  }
}
