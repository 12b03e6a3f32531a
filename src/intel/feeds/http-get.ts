/**
 * One conditional GET of a feed URL: If-None-Match / If-Modified-Since from
 * the validators of the copy kept, a deadline over the whole exchange, a
 * byte cap enforced while the body streams in (the request is aborted the
 * moment it passes), basic or bearer credentials, and a CA file for https.
 * Every failure is one line that shows the URL without its user info and
 * query (redactUrl), never a secret.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

export type FeedAuth = { user: string; password: string } | { token: string } | null;

export interface GetRequest {
  url: string;
  validators: Validators | null;
  auth: FeedAuth;
  /** PEM text of the CA certificates to trust (https); null = the system's. */
  ca: string | null;
  timeoutMs: number;
  maxBytes: number;
  /** Sent as Accept; default any. */
  accept?: string;
  signal?: AbortSignal;
}

export type GetResult = { status: 'ok'; body: Buffer; validators: Validators } | { status: 'not-modified' };

/** Redirects followed at most (feeds behind a CDN or a release page). */
const MAX_REDIRECTS = 5;

/** The URL as it may be shown: scheme, host, port and path; no user info, query or fragment. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(a malformed URL)';
  }
}

export async function conditionalGet(req: GetRequest): Promise<GetResult> {
  let url = new URL(req.url);
  let auth = authOf(req.auth, url);
  // One deadline for the whole exchange, redirects included: a chain of slow hops must not multiply it.
  const deadlineAt = Date.now() + req.timeoutMs;
  for (let hop = 0; ; hop++) {
    const answer = await getOnce(url, auth, req, deadlineAt);
    if (answer.kind === 'done') return answer.result;
    if (hop >= MAX_REDIRECTS) throw new Error(`${redactUrl(req.url)}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(answer.location, url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`${redactUrl(req.url)}: redirect to a ${next.protocol} URL refused`);
    // Credentials go to the origin they were given for, never to where a redirect points.
    if (next.origin !== url.origin) auth = null;
    url = next;
  }
}

/** The Authorization header: the configured credentials, else a URL's user info (never shown). */
function authOf(auth: FeedAuth, url: URL): string | null {
  if (auth !== null && 'token' in auth) return `Bearer ${auth.token}`;
  if (auth !== null) return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  if (url.username !== '') return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  return null;
}

type Answer = { kind: 'done'; result: GetResult } | { kind: 'redirect'; location: string };

function getOnce(url: URL, auth: string | null, req: GetRequest, deadlineAt: number): Promise<Answer> {
  const shown = redactUrl(url.href);
  const headers: Record<string, string> = { accept: req.accept ?? '*/*', 'user-agent': 'fluxhound-intel' };
  if (auth !== null) headers.authorization = auth;
  if (req.validators?.etag) headers['if-none-match'] = req.validators.etag;
  if (req.validators?.lastModified) headers['if-modified-since'] = req.validators.lastModified;
  const https = url.protocol === 'https:';
  const request = https ? httpsRequest : httpRequest;
  return new Promise<Answer>((resolve, reject) => {
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      reject(new Error(`${shown}: ${reason}`));
    };
    const done = (answer: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.signal?.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const onAbort = (): void => fail('aborted');
    const deadline = setTimeout(() => fail(`no complete answer within ${req.timeoutMs} ms`), Math.max(0, deadlineAt - Date.now()));
    const client = request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname + url.search,
        method: 'GET',
        headers,
        ...(https && req.ca !== null ? { ca: req.ca } : {}),
        // No connection reuse: one fetch an hour needs none, and a kept socket would hold the daemon's stop.
        agent: false,
      },
      (res) => receive(res),
    );
    client.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? firstLine(err.message)));
    if (req.signal?.aborted === true) {
      fail('aborted');
      return;
    }
    req.signal?.addEventListener('abort', onAbort);
    client.end();

    function receive(res: IncomingMessage): void {
      const status = res.statusCode ?? 0;
      if (status === 304) {
        res.resume();
        done({ kind: 'done', result: { status: 'not-modified' } });
        return;
      }
      if (status >= 300 && status < 400 && typeof res.headers.location === 'string') {
        res.resume();
        done({ kind: 'redirect', location: res.headers.location });
        return;
      }
      if (status !== 200) {
        res.resume();
        fail(`HTTP ${status}`);
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > req.maxBytes) {
        fail(`${declared} bytes declared, over the cap of ${req.maxBytes} (intel.maxBytes)`);
        return;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > req.maxBytes) {
          fail(`more than ${req.maxBytes} bytes, over the cap (intel.maxBytes)`);
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? firstLine(err.message)));
      res.on('aborted', () => fail('connection closed mid-answer'));
      res.on('end', () => {
        if (!res.complete) {
          fail('connection closed mid-answer');
          return;
        }
        const etag = typeof res.headers.etag === 'string' ? res.headers.etag : null;
        const lastModified = typeof res.headers['last-modified'] === 'string' ? res.headers['last-modified'] : null;
        done({ kind: 'done', result: { status: 'ok', body: Buffer.concat(chunks, length), validators: { etag, lastModified } } });
      });
    }
  });
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl === -1 ? text : text.slice(0, nl)).slice(0, 200);
}
