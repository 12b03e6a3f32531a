/**
 * Zeek dns.log in Zeek 6's ASCII (TSV) form, optionally with the `auth` and
 * `addl` columns that policy/protocols/dns/auth-addl.zeek adds: the
 * authority section's NS names and the additional section's addresses, which
 * is where double flux shows.
 *
 * The exchange is seen between a client and its resolver (10.0.0.53), so AA
 * is F and RD/RA are T. Transport details the observation does not carry
 * (uid, source port, transaction id, round-trip time) come from the writer's
 * own seeded stream.
 */
import type { DnsObservation, ResourceRecord } from '../../model/observation.js';
import { Prng } from '../prng.js';
import type { CorpusWriter, TextOutput } from './writer.js';
import { zeekHeaderTime, zeekSeconds } from './zeek-time.js';

export const ZEEK_DNS_FIELDS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'rtt', 'query',
  'qclass', 'qclass_name', 'qtype', 'qtype_name', 'rcode', 'rcode_name', 'AA', 'TC', 'RD', 'RA', 'Z',
  'answers', 'TTLs', 'rejected',
] as const;

export const ZEEK_DNS_TYPES = [
  'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'count', 'interval', 'string',
  'count', 'string', 'count', 'string', 'count', 'string', 'bool', 'bool', 'bool', 'bool', 'count',
  'vector[string]', 'vector[interval]', 'bool',
] as const;

const QTYPE_CODES: Readonly<Record<string, number>> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28 };
const RCODE_CODES: Readonly<Record<string, number>> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface ZeekDnsOptions {
  /** Seeds uid, ports, transaction ids and round-trip times. */
  seed: number;
  /** Add the auth-addl.zeek columns `auth` and `addl`. */
  authAddl: boolean;
  /** The resolver the clients ask. */
  resolver?: string;
}

export class ZeekDnsWriter implements CorpusWriter {
  readonly format = 'zeek';
  private readonly rng: Prng;
  private readonly authAddl: boolean;
  /** Everything from id.resp_h to proto, the same on every line. */
  private readonly respTail: string;
  private lines = 0;

  constructor(
    private readonly output: TextOutput,
    options: ZeekDnsOptions,
  ) {
    this.rng = new Prng(options.seed).fork('zeek-dns');
    this.authAddl = options.authAddl;
    this.respTail = `\t${options.resolver ?? '10.0.0.53'}\t53\tudp\t`;
  }

  get pendingBytes(): number {
    return this.output.pendingBytes;
  }

  /** Data lines written so far. */
  get records(): number {
    return this.lines;
  }

  open(startTs: number): void {
    const fields = this.authAddl ? [...ZEEK_DNS_FIELDS, 'auth', 'addl'] : ZEEK_DNS_FIELDS;
    const types = this.authAddl ? [...ZEEK_DNS_TYPES, 'set[string]', 'set[string]'] : ZEEK_DNS_TYPES;
    this.output.append(
      '#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n' +
        `#open\t${zeekHeaderTime(startTs)}\n#fields\t${fields.join('\t')}\n#types\t${types.join('\t')}\n`,
    );
  }

  write(o: DnsObservation): void {
    const rng = this.rng;
    const rcode = o.rcode ?? 'NOERROR';
    // Most answers come from the resolver's cache (sub-millisecond); some needed a recursion.
    const rtt = rng.next() < 0.8 ? 0.0001 + rng.next() * 0.002 : 0.005 + rng.next() * 0.25;
    let line =
      `${zeekSeconds(o.ts)}\t${this.uid()}\t${o.client ?? '-'}\t${1024 + rng.int(64512)}${this.respTail}` +
      `${rng.int(65536)}\t${zeekSeconds(rtt)}\t${o.qname}\t1\tC_INTERNET\t${QTYPE_CODES[o.qtype] ?? 0}\t${o.qtype}\t` +
      `${RCODE_CODES[rcode] ?? 0}\t${rcode}\tF\tF\tT\tT\t0\t`;
    const answers = o.answers;
    if (answers.length === 0) {
      line += '-\t-\tF';
    } else {
      let data = (answers[0] as ResourceRecord).data;
      let ttls = `${(answers[0] as ResourceRecord).ttl ?? 0}.000000`;
      for (let i = 1; i < answers.length; i++) {
        const r = answers[i] as ResourceRecord;
        data += `,${r.data}`;
        ttls += `,${r.ttl ?? 0}.000000`;
      }
      line += `${data}\t${ttls}\tF`;
    }
    if (this.authAddl) line += `\t${joinData(o.authority)}\t${joinData(o.additional)}`;
    this.output.append(`${line}\n`);
    this.lines++;
  }

  flush(): Promise<void> {
    return this.output.flush();
  }

  async close(endTs: number): Promise<void> {
    this.output.append(`#close\t${zeekHeaderTime(endTs)}\n`);
    await this.output.close();
  }

  /** A Zeek connection uid: 'C' and 17 base-62 characters. */
  private uid(): string {
    let uid = 'C';
    for (let word = 0; word < 4; word++) {
      let v = this.rng.u32();
      const digits = word === 3 ? 2 : 5;
      for (let i = 0; i < digits; i++) {
        uid += BASE62[v % 62];
        v = Math.floor(v / 62);
      }
    }
    return uid;
  }
}

/** A Zeek set[string] of the records' data; '-' (unset) when there are none, as auth-addl.zeek leaves it. */
function joinData(records: readonly ResourceRecord[]): string {
  if (records.length === 0) return '-';
  let s = (records[0] as ResourceRecord).data;
  for (let i = 1; i < records.length; i++) s += `,${(records[i] as ResourceRecord).data}`;
  return s;
}
