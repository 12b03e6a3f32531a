/**
 * The flux addresses as files a firewall loads: a plain list, an `nft -f`
 * script (sets and drop rules in `table inet fluxhound`) or `ipset restore`
 * input. Every entry carries its first/last sighting and domain in a `#`
 * comment; the domain is escaped (\DDD) so nothing in it can end the
 * comment line and become a command.
 */
import { escapeName } from '../../dns/name-text.js';
import { isoTime } from '../../model/verdict.js';
import type { FluxAddress } from './addresses.js';

export const IP_FORMATS = ['plain', 'nftables', 'ipset'] as const;
export type IpFormat = (typeof IP_FORMATS)[number];

export interface FormatOptions {
  /** Seconds since the epoch the timeouts count from (wall clock in the daemon, the newest sighting for a run). */
  now: number;
  /** Seconds an address stays listed after its last sighting. */
  expiry: number;
  /** Set/table name stem. Default 'fluxhound'. */
  name?: string;
}

/** The file in chunks (one per 4,096 entries). */
export function* formatBlocklist(entries: readonly FluxAddress[], format: IpFormat, options: FormatOptions): Generator<string> {
  const name = options.name ?? 'fluxhound';
  const v4 = entries.filter((e) => e.family === 4);
  const v6 = entries.filter((e) => e.family === 6);
  const head =
    `# fluxhound flux addresses: ${v4.length} IPv4, ${v6.length} IPv6; generated ${isoTime(options.now)}\n` +
    `# never CDN/cloud or allowlisted addresses; each leaves the list ${options.expiry} s after its last sighting\n`;
  switch (format) {
    case 'plain':
      yield head + '# address  # first seen  last seen  domain\n';
      yield* chunked(entries, (e) => `${e.address}  ${comment(e)}\n`);
      return;
    case 'nftables':
      yield `#!/usr/sbin/nft -f\n${head}# load: nft -f FILE   remove: nft delete table inet ${name}\n`;
      yield `table inet ${name}\ndelete table inet ${name}\ntable inet ${name} {\n`;
      yield* nftSet(`${name}4`, 'ipv4_addr', v4, options);
      yield* nftSet(`${name}6`, 'ipv6_addr', v6, options);
      for (const [chain, hook] of [['output', 'output'], ['forward', 'forward']] as const) {
        yield `\tchain ${chain} {\n\t\ttype filter hook ${hook} priority filter - 10; policy accept;\n` +
          `\t\tip daddr @${name}4 counter drop\n\t\tip6 daddr @${name}6 counter drop\n\t}\n`;
      }
      yield '}\n';
      return;
    case 'ipset':
      yield `${head}# load: ipset restore < FILE   (sets ${name}4 and ${name}6, hash:ip with timeouts)\n`;
      for (const [set, family, list] of [[`${name}4`, 'inet', v4], [`${name}6`, 'inet6', v6]] as const) {
        const next = `${set}-next`;
        const create = `hash:ip family ${family} timeout ${options.expiry} maxelem 1048576 -exist`;
        yield `create ${set} ${create}\ncreate ${next} ${create}\nflush ${next}\n`;
        yield* chunked(list, (e) => `${comment(e)}\nadd ${next} ${e.address} timeout ${remaining(e, options)} -exist\n`);
        yield `swap ${next} ${set}\ndestroy ${next}\n`;
      }
      return;
  }
}

function* nftSet(set: string, type: string, list: readonly FluxAddress[], options: FormatOptions): Generator<string> {
  yield `\tset ${set} {\n\t\ttype ${type}\n\t\tflags timeout\n`;
  if (list.length > 0) {
    yield '\t\telements = {\n';
    const last = list[list.length - 1];
    yield* chunked(list, (e) => `\t\t\t${e.address} timeout ${remaining(e, options)}s${e === last ? '' : ','} ${comment(e)}\n`);
    yield '\t\t}\n';
  }
  yield '\t}\n';
}

function* chunked(list: readonly FluxAddress[], line: (e: FluxAddress) => string): Generator<string> {
  let text = '';
  for (let i = 0; i < list.length; i++) {
    text += line(list[i]!);
    if ((i & 4095) === 4095) {
      yield text;
      text = '';
    }
  }
  if (text.length > 0) yield text;
}

/** Seconds the address has left on the list (at least 1). */
function remaining(e: FluxAddress, options: FormatOptions): number {
  return Math.max(1, options.expiry - Math.max(0, options.now - e.lastSeen));
}

/** `# first ... last ... domain [intel FEED ENTRY]`: one line whatever the domain, feed or entry holds (the one name rule). */
function comment(e: FluxAddress): string {
  const intel = e.intel === undefined ? '' : ` intel ${escapeName(e.intel.feed.slice(0, 200))} ${escapeName(e.intel.ref.slice(0, 200))}`;
  return `# first ${isoTime(e.firstSeen)} last ${isoTime(e.lastSeen)} ${escapeName(e.domain)}${intel}`;
}
