/**
 * Passive DNS in the Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof),
 * one JSON object per line: what a pDNS sensor behind the resolver would
 * store. Every RRset of every section (the CNAME links, the address set, the
 * zone's NS set and its glue) becomes a tuple counted with its first and last
 * sighting; the tuples are written at `close`, in order of first sighting.
 *
 * Unlike the per-exchange writers this one holds state: one entry per
 * distinct RRset, so a large corpus with heavy flux makes many.
 */
import type { DnsObservation, ResourceRecord } from '../../model/observation.js';
import type { CorpusWriter, TextOutput } from './writer.js';

interface Tuple {
  rrname: string;
  rrtype: string;
  rdata: string[];
  first: number;
  last: number;
  count: number;
}

export class PdnsCofWriter implements CorpusWriter {
  readonly format = 'pdns';
  readonly pendingBytes = 0;
  private readonly tuples = new Map<string, Tuple>();

  constructor(private readonly output: TextOutput) {}

  open(): void {}

  write(o: DnsObservation): void {
    this.addSection(o.answers, o.ts);
    this.addSection(o.authority, o.ts);
    this.addSection(o.additional, o.ts);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    for (const t of this.tuples.values()) {
      const rdata = t.rdata.map((d) => `"${d}"`).join(',');
      this.output.append(
        `{"count":${t.count},"time_first":${Math.floor(t.first)},"time_last":${Math.floor(t.last)},` +
          `"rrtype":"${t.rrtype}","rrname":"${t.rrname}","rdata":[${rdata}]}\n`,
      );
      if (this.output.pendingBytes >= 4 << 20) await this.output.flush();
    }
    await this.output.close();
  }

  /** Records of one section grouped into RRsets by owner and type (they arrive grouped). */
  private addSection(records: readonly ResourceRecord[], ts: number): void {
    let i = 0;
    while (i < records.length) {
      const head = records[i] as ResourceRecord;
      const rdata: string[] = [];
      while (i < records.length && (records[i] as ResourceRecord).name === head.name && (records[i] as ResourceRecord).type === head.type) {
        rdata.push((records[i] as ResourceRecord).data);
        i++;
      }
      rdata.sort();
      const key = `${head.name}\t${head.type}\t${rdata.join(',')}`;
      const seen = this.tuples.get(key);
      if (seen === undefined) this.tuples.set(key, { rrname: head.name, rrtype: head.type, rdata, first: ts, last: ts, count: 1 });
      else {
        seen.last = ts;
        seen.count++;
      }
    }
  }
}
