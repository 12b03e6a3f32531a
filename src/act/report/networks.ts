/** The flux service networks of a run, as a table or as NDJSON records. */
import type { FluxNetworkSummary } from '../../detect/networks.js';
import { escapeName } from '../../dns/name-text.js';

/** NDJSON lines; `record: "network"` tells them apart from verdicts in the same stream. */
export function networksNdjson(networks: readonly FluxNetworkSummary[]): string {
  return networks.map((n) => JSON.stringify({ record: 'network', ...n }) + '\n').join('');
}

export function networksTable(networks: readonly FluxNetworkSummary[]): string {
  if (networks.length === 0) return '\nNo flux networks found.\n';
  const lines = ['', 'FLUX NETWORKS', 'ID      DOMAINS  ADDRESSES  ASNS  COUNTRIES  FIRST SEEN            LAST SEEN             DOMAINS (first)'];
  for (const n of networks) {
    const sample = n.sample_domains.slice(0, 4).map(escapeName).join(', ') + (n.domains > 4 ? ', …' : '');
    lines.push(
      [
        n.id.padEnd(6),
        String(n.domains).padStart(7),
        String(n.addresses).padStart(9),
        String(n.asns).padStart(4),
        String(n.countries).padStart(9),
        n.first_seen.slice(0, 19).padEnd(20),
        n.last_seen.slice(0, 19).padEnd(20),
        sample,
      ].join('  '),
    );
  }
  return lines.join('\n') + '\n';
}
