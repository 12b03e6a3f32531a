/**
 * A Zeek dns.log (TSV, Zeek's exact header) of flux-like lookups, for tests
 * that run the built CLI on hostile or known-good names with the records of
 * a real fast-flux name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const GOLDEN = join(import.meta.dirname, '..', 'golden', 'example.verdicts.ndjson');

/**
 * The IPv4 addresses (CDN/cloud ones left out) of the bundled example's
 * fast-flux name with the most of them, from its golden output: a real
 * botnet's spread of networks, routable, never refused by intel as
 * non-routable or known infrastructure.
 */
export function botAddresses(): string[] {
  const verdicts = readFileSync(GOLDEN, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { verdict: string; scope: string; evidence: { addresses: { address: string; known: boolean }[] } });
  const flux = verdicts.filter((v) => v.verdict === 'fast-flux' && v.scope === 'name');
  flux.sort((a, b) => b.evidence.addresses.length - a.evidence.addresses.length);
  return (flux[0]?.evidence.addresses ?? []).filter((a) => !a.known && !a.address.includes(':')).map((a) => a.address);
}

export const HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tdns',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\tauth\taddl',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\tset[string]\tset[string]',
];

/**
 * A Zeek dns.log where each name gets 12 answers of 5 rotating bot addresses,
 * TTL 60, 300 s apart from `t0` (epoch seconds; the bundled example's day by
 * default: a daemon that keeps verdicts by wall-clock expiry wants recent times).
 */
export function zeekLog(names: string[], bots: string[], t0 = 1743638400): string {
  const lines = [...HEADER];
  for (let lookup = 0; lookup < 12; lookup++) {
    names.forEach((name, n) => {
      const answers = [0, 1, 2, 3, 4].map((k) => bots[(lookup * 5 + k) % bots.length]!);
      const ts = t0 + lookup * 300 + n;
      lines.push(
        [ts.toFixed(6), `C${lookup}n${n}`, '10.1.0.8', '1534', '10.0.0.53', '53', 'udp', String(lookup), '0.001', name, '1', 'C_INTERNET', '1', 'A', '0', 'NOERROR', 'F', 'F', 'T', 'T', '0', answers.join(','), answers.map(() => '60.000000').join(','), 'F', '-', '-'].join('\t'),
      );
    });
  }
  return lines.join('\n') + '\n';
}

