/**
 * The metrics of the file-writing services (rpz-file, ip-blocklist), in the
 * daemon's registry. Their values live in the services; each family reads
 * them when scraped.
 */
import type { Registry } from 'prom-client';
import { scrapedCounter as counter, scrapedGauge as gauge } from '../scraped.js';

type Read = () => number;

export interface RpzFileReadings {
  writes: Read;
  writeErrors: Read;
  records: Read;
  serial: Read;
  invalidNames: Read;
  skippedAddresses: Read;
  expired: Read;
}

export function rpzFileMetrics(registry: Registry, r: RpzFileReadings): void {
  counter(registry, 'fluxhound_rpz_file_writes_total', 'Times the RPZ zone file was written (atomically).', r.writes);
  counter(registry, 'fluxhound_rpz_file_write_errors_total', 'Zone file writes that failed (the previous file stays).', r.writeErrors);
  gauge(registry, 'fluxhound_rpz_file_records', 'Policy records in the zone file last written.', r.records);
  gauge(registry, 'fluxhound_rpz_file_serial', 'SOA serial of the zone file last written.', r.serial);
  gauge(registry, 'fluxhound_rpz_file_invalid_names', 'Flagged names left out of the last zone (cannot be a trigger: over-long, a public suffix, an rpz- label).', r.invalidNames);
  gauge(registry, 'fluxhound_rpz_file_skipped_addresses', 'Addresses left out of the last zone (CDN, cloud or allowlisted).', r.skippedAddresses);
  counter(registry, 'fluxhound_rpz_file_expired_total', 'Flagged domains dropped after policy.expiry seconds without a lookup.', r.expired);
}

export interface IpBlocklistReadings {
  addresses: Read;
  writes: Read;
  writeErrors: Read;
}

export function ipBlocklistMetrics(registry: Registry, r: IpBlocklistReadings): void {
  gauge(registry, 'fluxhound_ip_blocklist_addresses', 'Addresses in the IP blocklist last written.', r.addresses);
  counter(registry, 'fluxhound_ip_blocklist_writes_total', 'Times the IP blocklist was written (atomically).', r.writes);
  counter(registry, 'fluxhound_ip_blocklist_write_errors_total', 'IP blocklist writes that failed (the previous file stays).', r.writeErrors);
}
