/**
 * One GET of a TAXII poll over node:http or node:https: the TAXII Accept
 * header, the feed's credentials, the feed's CA, and the poll's budgets —
 * bytes counted while the body streams (over the whole poll, so a server
 * cannot split a huge answer into many pages), one deadline and one abort
 * signal for every request of the poll.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { TaxiiError, locationOf } from './messages.js';

/** TAXII 2.1 §1.6.8.1: the one media type a TAXII 2.1 client asks for and a 2.1 server answers with. */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

/** An error answer's body is read this far only: enough for a TAXII error message, never a feed. */
const ERROR_BODY_BYTES = 64 * 1024;

export interface TaxiiAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface PollLimits {
  maxBytes: number;
  /** Already-resolved Authorization header value; null = none. */
  authorization: string | null;
  /** PEM text of the CA certificates to trust for https (instead of the system's); null = the system's. */
  ca: string | null;
  /** Aborted by the poll's deadline or the caller's signal; its reason is the error to report. */
  signal: AbortSignal;
}

/**
 * The connections and counts of one poll. Keep-alive agents of its own, so
 * the pages of a poll share one connection and nothing outlives close().
 */
export class PollTransport {
  bytes = 0;
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  private readonly https: HttpsAgent;

  constructor(private readonly limits: PollLimits) {
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 1, ...(limits.ca === null ? {} : { ca: limits.ca }) });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  /** GET `url`; resolves with any status (the caller judges it), rejects on transport failure or an exhausted budget. */
  get(url: URL): Promise<TaxiiAnswer> {
    const { signal } = this.limits;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const headers: Record<string, string> = { accept: TAXII_MEDIA_TYPE, 'user-agent': 'fluxhound-taxii-client' };
    if (this.limits.authorization !== null) headers.authorization = this.limits.authorization;
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return Promise.reject(new TaxiiError(`${locationOf(url)}: only http and https URLs`));
    return new Promise<TaxiiAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        req.destroy();
        reject(err);
      };
      const onAbort = (): void => fail(signal.reason as Error);
      const options = { method: 'GET', headers, agent: secure ? this.https : this.http };
      const req = (secure ? httpsRequest : httpRequest)(url, options, (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        // An error answer is read only as far as a TAXII error message goes; a good one up to the poll's budget.
        const cap = ok ? Infinity : ERROR_BODY_BYTES;
        const declared = Number(res.headers['content-length']);
        if (ok && Number.isFinite(declared) && this.bytes + declared > this.limits.maxBytes) {
          fail(this.overBudget(url, `this answer declares ${declared}`));
          return;
        }
        const chunks: Buffer[] = [];
        let length = 0;
        res.on('data', (chunk: Buffer) => {
          this.bytes += chunk.length;
          if (this.bytes > this.limits.maxBytes) return fail(this.overBudget(url, `${this.bytes} read by now`));
          if (length >= cap) return;
          chunks.push(chunk);
          length += chunk.length;
          if (length >= cap) finish();
        });
        res.on('end', finish);
        res.on('error', (err) => fail(transportError(url, err)));
        function finish(): void {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          if (!ok) res.destroy();
          resolve({ status, headers: res.headers, text: Buffer.concat(chunks, length).toString('utf8') });
        }
      });
      req.on('error', (err) => fail(signal.aborted ? (signal.reason as Error) : transportError(url, err)));
      signal.addEventListener('abort', onAbort, { once: true });
      req.end();
    });
  }

  private overBudget(url: URL, detail: string): TaxiiError {
    return new TaxiiError(`${locationOf(url)}: the poll passed maxBytes (${this.limits.maxBytes} bytes; ${detail})`);
  }
}

/** TLS failures say what to do about them; other socket errors keep their code. */
function transportError(url: URL, err: Error & { code?: string }): TaxiiError {
  const code = err.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|ERR_TLS|ERR_SSL/.test(code)) {
    return new TaxiiError(`${locationOf(url)}: TLS: ${err.message} (${code}); the feed's ca must hold the CA that issued the server's certificate`);
  }
  return new TaxiiError(`${locationOf(url)}: ${err.message}${code !== '' && !err.message.includes(code) ? ` (${code})` : ''}`);
}
