/**
 * A Zeek dns.log of a botnet's fast-flux names, for tests that need a real
 * flag from traffic: each name is looked up `lookups` times, 300 s apart,
 * and answered by `perAnswer` addresses rotating through `bots` with TTL 60,
 * so names that share the bots form one flux network. The bots come from
 * the golden output of the bundled example (its widest fast-flux name, CDN
 * and cloud addresses left out): routable, spread over many networks, and
 * never refused as non-routable or known infrastructure by intel.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const GOLDEN = join(import.meta.dirname, '..', 'golden', 'example.verdicts.ndjson');

const HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tdns',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\tauth\taddl',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\tset[string]\tset[string]',
];

/** The IPv4 addresses (not CDN/cloud) of the example's fast-flux name with the most of them, in golden order. */
export function botAddresses(): string[] {
  const verdicts = readFileSync(GOLDEN, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { verdict: string; scope: string; evidence: { addresses: { address: string; known: boolean }[] } });
  const flux = verdicts.filter((v) => v.verdict === 'fast-flux' && v.scope === 'name');
  flux.sort((a, b) => b.evidence.addresses.length - a.evidence.addresses.length);
  return (flux[0]?.evidence.addresses ?? []).filter((a) => !a.known && !a.address.includes(':')).map((a) => a.address);
}

export interface FluxLogOptions {
  /** Epoch seconds of the first lookup. */
  start: number;
  lookups?: number;
  perAnswer?: number;
}

/** The log text: every name's lookups interleaved in time order. */
export function zeekFluxLog(names: string[], bots: string[], options: FluxLogOptions): string {
  const lookups = options.lookups ?? 12;
  const perAnswer = options.perAnswer ?? 5;
  const lines = [...HEADER];
  for (let lookup = 0; lookup < lookups; lookup++) {
    names.forEach((name, n) => {
      const answers = Array.from({ length: perAnswer }, (_, k) => bots[(lookup * perAnswer + k + n * 3) % bots.length]!);
      const ts = options.start + lookup * 300 + n;
      lines.push(
        [ts.toFixed(6), `C${lookup}n${n}`, '10.1.0.8', '1534', '10.0.0.53', '53', 'udp', String(lookup), '0.001', name, '1', 'C_INTERNET', '1', 'A', '0', 'NOERROR', 'F', 'F', 'T', 'T', '0', answers.join(','), answers.map(() => '60.000000').join(','), 'F', '-', '-'].join('\t'),
      );
    });
  }
  return lines.join('\n') + '\n';
}
