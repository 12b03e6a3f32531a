/**
 * Passive DNS in the Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof):
 * one JSON object per RRset, `{rrname, rrtype, rdata, time_first, time_last, count}`.
 * Also read: ISO 8601 times, Farsight DNSDB's trailing dots and `zone_time_*`
 * (zone-file sightings), and DNSDB's streaming wrapper `{"obj": {...}}`
 * with its `{"cond": ...}` markers.
 */
import type { ResourceRecord } from '../../model/observation.js';
import type { ObservationSink } from '../source.js';
import { JsonLineDecoder, isJsonObject, stringField } from '../line-decoder.js';
import type { JsonObject } from '../line-decoder.js';
import { plausibleName, resourceRecord } from '../records.js';
import { countOrInvalid, epochSeconds, rrType, shown } from '../values.js';

export class PdnsDecoder extends JsonLineDecoder {
  constructor(file: string, sink: ObservationSink) {
    super('pdns', file, sink);
  }

  protected record(line: JsonObject, lineNumber: number): void {
    const tuple = isJsonObject(line['obj']) ? line['obj'] : line;
    if (tuple === line && 'cond' in line) return; // DNSDB stream marker (begin, ongoing, succeeded, ...)

    const rrname = stringField(tuple, 'rrname');
    if (rrname === undefined) return this.skip(lineNumber, 'no rrname');
    const qname = plausibleName(rrname);
    if (qname === null) return this.skip(lineNumber, `bad rrname ${shown(rrname)}`);
    const qtype = rrType(tuple['rrtype']);
    if (qtype === null) return this.skip(lineNumber, `bad rrtype ${shown(tuple['rrtype'])}`);

    const times = sightings(tuple);
    if (typeof times === 'string') return this.skip(lineNumber, times);

    const count = tuple['count'] === undefined ? 1 : typeof tuple['count'] === 'number' ? countOrInvalid(tuple['count']) : -1;
    if (count < 0) return this.skip(lineNumber, `bad count ${shown(tuple['count'])}`);

    const rdata = tuple['rdata'];
    const values = typeof rdata === 'string' ? [rdata] : rdata;
    if (!Array.isArray(values)) return this.skip(lineNumber, rdata === undefined ? 'no rdata' : `bad rdata ${shown(rdata)}`);
    const answers: ResourceRecord[] = [];
    for (const value of values) {
      if (typeof value !== 'string') continue;
      const record = resourceRecord(qname, qtype, value, null);
      if (record !== null) answers.push(record);
    }

    this.sink.observe({
      ts: times.last,
      qname,
      qtype,
      // A passive-DNS tuple records what was answered, not how the response ended.
      rcode: null,
      client: null,
      answers,
      authority: [],
      additional: [],
      count,
      firstSeen: times.first,
    });
  }
}

/** First and last sighting: `time_*` (resolver traffic), else `zone_time_*` (zone files). */
function sightings(tuple: JsonObject): { first: number; last: number } | string {
  const prefix = tuple['time_last'] !== undefined || tuple['time_first'] !== undefined ? 'time_' : 'zone_time_';
  const rawFirst = tuple[`${prefix}first`];
  const rawLast = tuple[`${prefix}last`];
  if (rawFirst === undefined && rawLast === undefined) return 'no time_first or time_last';
  const first = rawFirst === undefined ? undefined : epochSeconds(rawFirst);
  const last = rawLast === undefined ? undefined : epochSeconds(rawLast);
  if (first !== undefined && first < 0) return `bad timestamp ${shown(rawFirst)}`;
  if (last !== undefined && last < 0) return `bad timestamp ${shown(rawLast)}`;
  const firstSeen = first ?? last!;
  const lastSeen = last ?? first!;
  if (firstSeen > lastSeen) return `${prefix}first after ${prefix}last`;
  return { first: firstSeen, last: lastSeen };
}

/** A COF tuple: rrname and rrtype with sightings, possibly in DNSDB's `obj` wrapper; not an EVE event. Undecided on stream markers. */
export function looksLikePdns(object: JsonObject): boolean | null {
  if ('cond' in object && !('obj' in object)) return null;
  const tuple = isJsonObject(object['obj']) ? object['obj'] : object;
  return (
    typeof tuple['rrname'] === 'string' &&
    'rrtype' in tuple &&
    'rdata' in tuple &&
    !('event_type' in tuple) &&
    ('time_first' in tuple || 'time_last' in tuple || 'zone_time_first' in tuple || 'zone_time_last' in tuple)
  );
}
