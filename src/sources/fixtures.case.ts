/** Test fixtures (test/fixtures, see PROVENANCE.md there) and what the sources must make of them. */
import { readFileSync } from 'node:fs';
import type { DnsObservation } from '../model/observation.js';

export function fixture(path: string): Buffer {
  return readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url));
}

/**
 * The first lookup of suricata-verify's dns-eve-type-filtering pcap
 * (www.suricata-ids.org A, answered by a CNAME and two addresses), as every
 * source must give it. `ts` is the time the source stamps (query or
 * response); Zeek does not log owner names, so there every owner is the query name.
 */
export function suricataIdsLookup(ts: number, ownersLogged: boolean): DnsObservation {
  const target = ownersLogged ? 'suricata-ids.org' : 'www.suricata-ids.org';
  return {
    ts,
    qname: 'www.suricata-ids.org',
    qtype: 'A',
    rcode: 'NOERROR',
    client: '10.16.1.11',
    answers: [
      { name: 'www.suricata-ids.org', type: 'CNAME', data: 'suricata-ids.org', ttl: 3513 },
      { name: target, type: 'A', data: '192.0.78.24', ttl: 213 },
      { name: target, type: 'A', data: '192.0.78.25', ttl: 213 },
    ],
    authority: [],
    additional: [],
    count: 1,
    firstSeen: ts,
  };
}
