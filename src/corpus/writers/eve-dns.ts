/**
 * Suricata eve.json DNS events in the v3 layout (Suricata 8): one `response`
 * event per exchange, logged in the response's direction (resolver → client),
 * with `queries`, `answers`, `authorities` and `additionals`; empty sections
 * are left out, as Suricata does.
 *
 * Lines are assembled by hand rather than with JSON.stringify: the generator
 * only produces plain ASCII names and addresses, which need no escaping.
 */
import type { DnsObservation, ResourceRecord } from '../../model/observation.js';
import { Prng } from '../prng.js';
import type { CorpusWriter, TextOutput } from './writer.js';

export interface EveDnsOptions {
  /** Seeds flow ids, ports and transaction ids. */
  seed: number;
  resolver?: string;
}

export class EveDnsWriter implements CorpusWriter {
  readonly format = 'eve';
  private readonly rng: Prng;
  private readonly resolver: string;

  constructor(
    private readonly output: TextOutput,
    options: EveDnsOptions,
  ) {
    this.rng = new Prng(options.seed).fork('eve-dns');
    this.resolver = options.resolver ?? '10.0.0.53';
  }

  get pendingBytes(): number {
    return this.output.pendingBytes;
  }

  open(): void {}

  write(o: DnsObservation): void {
    const rng = this.rng;
    // 52 random bits, within JSON's exact integers like Suricata's flow ids.
    const flowId = rng.u32() * 1048576 + (rng.u32() >>> 12);
    let line =
      `{"timestamp":"${eveTimestamp(o.ts)}","flow_id":${flowId},"event_type":"dns","src_ip":"${this.resolver}","src_port":53,` +
      `"dest_ip":"${o.client ?? '0.0.0.0'}","dest_port":${1024 + rng.int(64512)},"proto":"UDP","dns":{"version":3,"type":"response",` +
      `"id":${rng.int(65536)},"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rcode":"${o.rcode ?? 'NOERROR'}",` +
      `"queries":[{"rrname":"${o.qname}","rrtype":"${o.qtype}"}]`;
    line += section('answers', o.answers);
    line += section('authorities', o.authority);
    line += section('additionals', o.additional);
    this.output.append(`${line}}}\n`);
  }

  flush(): Promise<void> {
    return this.output.flush();
  }

  close(): Promise<void> {
    return this.output.close();
  }
}

function section(key: string, records: readonly ResourceRecord[]): string {
  if (records.length === 0) return '';
  let s = `,"${key}":[`;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as ResourceRecord;
    s += `${i === 0 ? '' : ','}{"rrname":"${r.name}","rrtype":"${r.type}","ttl":${r.ttl ?? 0},"rdata":"${r.data}"}`;
  }
  return `${s}]`;
}

/** Suricata's timestamp form, in UTC: '2025-04-03T00:00:03.673493+0000'. */
export function eveTimestamp(seconds: number): string {
  const micros = Math.round(seconds * 1e6);
  const whole = Math.floor(micros / 1e6);
  const iso = new Date(whole * 1000).toISOString(); // 2025-04-03T00:00:03.000Z
  return `${iso.slice(0, 19)}.${String(micros - whole * 1e6).padStart(6, '0')}+0000`;
}
