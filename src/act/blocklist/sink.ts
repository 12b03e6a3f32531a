/** `analyze --ip-blocklist FILE --ip-format F`: the run's flux addresses, written atomically at the end. */
import type { Verdict } from '../../model/verdict.js';
import { writeFileAtomic } from '../rpz/zone-file.js';
import type { VerdictSink } from '../sink.js';
import { FluxAddresses, type FluxAddressOptions, type FluxAddressStats } from './addresses.js';
import { formatBlocklist, type IpFormat } from './formats.js';

export interface BlocklistSink extends VerdictSink {
  readonly stats: FluxAddressStats & { listed: number };
}

/**
 * Expiry counts from the newest sighting in the run (data time), so a
 * replayed log gives the same list whenever it is analysed.
 */
export function blocklistSink(path: string, format: IpFormat, options: FluxAddressOptions): BlocklistSink {
  const addresses = new FluxAddresses(options);
  const stats = Object.assign(addresses.stats, { listed: 0 });
  return {
    name: 'ip-blocklist',
    stats,
    verdict(v: Verdict) {
      addresses.add(v);
    },
    async close() {
      const now = addresses.newest() ?? Math.floor(Date.now() / 1000);
      addresses.expire(now);
      const list = addresses.list();
      stats.listed = list.length;
      addresses.clear();
      await writeFileAtomic(path, formatBlocklist(list, format, { now, expiry: options.expiry }));
    },
  };
}
