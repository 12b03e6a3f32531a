/**
 * One reusable DnsObservation that behaviours fill and writers read. The
 * generator emits millions of exchanges, so records come from a pool and the
 * same observation object is refilled for every exchange: a writer must
 * serialise it before the next `begin` (every writer here does, synchronously).
 */
import type { DnsObservation, ResourceRecord } from '../model/observation.js';
import { emptyObservation } from '../model/observation.js';

/**
 * An exchange as the generator makes it: the observation, plus what only a
 * packet capture (pcap, dnstap) can carry: `late`, the answer section of a
 * second, different response to the same query (same ID) arriving after the
 * first, as when an on-path middlebox injects an answer and the real one
 * follows. Empty when there is none. Log writers (Zeek, eve, pDNS) write the
 * first response only, as a resolver's log does; so does the SinkWriter.
 */
export interface Exchange extends DnsObservation {
  late: ResourceRecord[];
}

/** The late second response of an exchange (empty when none, or when `o` is not a corpus exchange). */
export function lateAnswers(o: DnsObservation): readonly ResourceRecord[] {
  return (o as Partial<Exchange>).late ?? NO_RECORDS;
}

const NO_RECORDS: readonly ResourceRecord[] = [];

export class ResponseBuilder {
  readonly observation: Exchange = { ...emptyObservation(0, '', 'A'), late: [] };
  /**
   * Whether this exchange carries authority and additional sections. The
   * traffic model decides it per exchange with one rate for every class, so
   * the mere presence of an authority section says nothing about the label.
   */
  withAuthority = false;
  private readonly pool: ResourceRecord[] = [];
  private used = 0;

  begin(ts: number, qname: string, qtype: string, client: string): Exchange {
    const o = this.observation;
    o.ts = ts;
    o.firstSeen = ts;
    o.qname = qname;
    o.qtype = qtype;
    o.client = client;
    o.rcode = 'NOERROR';
    o.answers.length = 0;
    o.authority.length = 0;
    o.additional.length = 0;
    o.late.length = 0;
    this.used = 0;
    this.withAuthority = false;
    return o;
  }

  answer(name: string, type: string, data: string, ttl: number): void {
    this.observation.answers.push(this.record(name, type, data, ttl));
  }

  authority(name: string, type: string, data: string, ttl: number): void {
    this.observation.authority.push(this.record(name, type, data, ttl));
  }

  additional(name: string, type: string, data: string, ttl: number): void {
    this.observation.additional.push(this.record(name, type, data, ttl));
  }

  /** A record of the late second response (see `Exchange`). */
  late(name: string, type: string, data: string, ttl: number): void {
    this.observation.late.push(this.record(name, type, data, ttl));
  }

  private record(name: string, type: string, data: string, ttl: number): ResourceRecord {
    let r = this.pool[this.used];
    if (r === undefined) {
      r = { name, type, data, ttl };
      this.pool.push(r);
    } else {
      r.name = name;
      r.type = type;
      r.data = data;
      r.ttl = ttl;
    }
    this.used++;
    return r;
  }
}
