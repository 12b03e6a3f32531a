/**
 * A request's JSON body, read with a cap: a Content-Length past the cap is
 * refused before a byte is read (413), a chunked body is cut as soon as it
 * passes it; a body that is not application/json is 415, one that does not
 * parse is 400. An empty body is `undefined` (a DELETE without a comment).
 * The whole body must arrive within `timeoutMs` of the handler asking for
 * it, however it trickles (408): the governor's header deadline ends where
 * the body begins, and Node's own request timeout is never checked on a
 * server that does not listen itself (as under the governor).
 */
import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; body: unknown } | { ok: false; status: 400 | 408 | 413 | 415; message: string };

/** Whether the request announces a body (Content-Length above 0 or chunked). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/** The JSON media type a body must be sent as: application/json for the API; TAXII's own for the TAXII inbox. */
export interface JsonMediaType {
  name: string;
  accepts(contentType: string | undefined): boolean;
}
export const APPLICATION_JSON: JsonMediaType = { name: 'application/json', accepts: isJson };

export async function readJsonBody(req: IncomingMessage, maxBytes: number, timeoutMs: number, mediaType: JsonMediaType = APPLICATION_JSON): Promise<BodyResult> {
  if (!hasBody(req)) return { ok: true, body: undefined };
  if (!mediaType.accepts(req.headers['content-type'])) return { ok: false, status: 415, message: `the body must be ${mediaType.name}` };
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return { ok: false, status: 413, message: `the body is larger than ${maxBytes} bytes` };
  const chunks: Buffer[] = [];
  let length = 0;
  const outcome = await new Promise<'end' | 'large' | 'slow' | 'cut'>((resolve) => {
    const timer = setTimeout(() => {
      req.off('data', onData);
      req.pause();
      resolve('slow');
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > maxBytes) {
        clearTimeout(timer);
        req.off('data', onData);
        req.pause();
        resolve('large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    const settle = (how: 'end' | 'cut') => (): void => {
      clearTimeout(timer);
      resolve(how);
    };
    req.once('end', settle('end'));
    req.once('error', settle('cut'));
    req.once('close', settle('cut'));
  });
  if (outcome === 'cut') return { ok: false, status: 400, message: 'the body was cut short' };
  if (outcome === 'slow') return { ok: false, status: 408, message: `the body did not arrive within ${timeoutMs} ms` };
  if (outcome === 'large') return { ok: false, status: 413, message: `the body is larger than ${maxBytes} bytes` };
  const text = Buffer.concat(chunks, length).toString('utf8');
  if (text.trim() === '') return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, status: 400, message: 'the body is not valid JSON' };
  }
}
