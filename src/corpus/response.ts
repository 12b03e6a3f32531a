/**
 * One reusable DnsObservation that behaviours fill and writers read. The
 * generator emits millions of exchanges, so records come from a pool and the
 * same observation object is refilled for every exchange: a writer must
 * serialise it before the next `begin` (every writer here does, synchronously).
 */
import type { DnsObservation, ResourceRecord } from '../model/observation.js';
import { emptyObservation } from '../model/observation.js';

export class ResponseBuilder {
  readonly observation: DnsObservation = emptyObservation(0, '', 'A');
  /**
   * Whether this exchange carries authority and additional sections. The
   * traffic model decides it per exchange with one rate for every class, so
   * the mere presence of an authority section says nothing about the label.
   */
  withAuthority = false;
  private readonly pool: ResourceRecord[] = [];
  private used = 0;

  begin(ts: number, qname: string, qtype: string, client: string): DnsObservation {
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
