/**
 * A TAXII answer judged before it is believed: a 2xx status, the TAXII 2.1
 * media type, JSON, an object — and, for an objects page, the envelope's
 * shape (§3.7: more boolean, next string, objects an array of objects).
 */
import type { TaxiiAnswer } from './http.js';
import { TaxiiError, locationOf, quoted, statusMessage } from './messages.js';

export type TaxiiResource = Record<string, unknown>;

/**
 * The version a `Content-Type` names when it is TAXII JSON (§1.6.8.1:
 * without a version parameter it means the latest, which this client takes as
 * 2.1); null when it is another media type.
 */
export function taxiiVersionOf(contentType: string | undefined): string | null {
  const [type = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/taxii+json') return null;
  const version = params.find((p) => p.startsWith('version='));
  return version === undefined ? '2.1' : version.slice('version='.length).replace(/^"|"$/g, '');
}

/** The JSON object of a good TAXII 2.1 answer, or the one line that says why it is not one. */
export function readResource(url: URL, answer: TaxiiAnswer): TaxiiResource {
  const where = locationOf(url);
  const { status, headers } = answer;
  if (status >= 300 && status < 400) {
    const to = headers.location === undefined ? 'nowhere' : quoted(headers.location);
    throw new TaxiiError(`${where}: HTTP ${status}, redirected to ${to}: not followed (credentials stay with the configured URL); configure the URL it names`);
  }
  if (status < 200 || status >= 300) throw new TaxiiError(statusMessage(where, status, answer.text));
  const contentType = headers['content-type'];
  const version = taxiiVersionOf(contentType);
  if (version === null) throw new TaxiiError(`${where}: content type ${quoted(contentType ?? '(none)')}, not application/taxii+json;version=2.1: not a TAXII 2.1 answer`);
  if (version !== '2.1') throw new TaxiiError(`${where}: the server answers TAXII ${quoted(version)}, not 2.1`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch (err) {
    throw new TaxiiError(`${where}: not JSON: ${quoted((err as Error).message)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TaxiiError(`${where}: the answer is not a JSON object`);
  return parsed as TaxiiResource;
}

export interface EnvelopePage {
  objects: Record<string, unknown>[];
  more: boolean;
  next: string | null;
}

/**
 * An objects page's envelope. A malformed envelope fails the poll (nothing
 * in it can be trusted); an element of `objects` that is not an object is one
 * hostile record: skipped and counted with its page and position.
 */
export function readEnvelope(where: string, page: number, envelope: TaxiiResource, skip: (position: string, reason: string) => void): EnvelopePage {
  const { more = false, next, objects = [] } = envelope;
  if (typeof more !== 'boolean') throw new TaxiiError(`${where}: bad envelope on page ${page}: more is not a boolean`);
  if (next !== undefined && typeof next !== 'string') throw new TaxiiError(`${where}: bad envelope on page ${page}: next is not a string`);
  if (!Array.isArray(objects)) throw new TaxiiError(`${where}: bad envelope on page ${page}: objects is not an array`);
  const kept: Record<string, unknown>[] = [];
  for (let i = 0; i < objects.length; i++) {
    const object: unknown = objects[i];
    if (object !== null && typeof object === 'object' && !Array.isArray(object)) kept.push(object as Record<string, unknown>);
    else skip(`page ${page} objects[${i}]`, 'not a JSON object');
  }
  return { objects: kept, more, next: typeof next === 'string' && next !== '' ? next : null };
}
