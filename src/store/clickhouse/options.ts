/**
 * The cluster settings a node runs with: config `cluster` with the command
 * line's --cluster and --node laid over it, checked once. Shared by serve's
 * cluster services and `analyze --cluster`.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { parseClusterUrl } from './url.js';

export type ClusterSettings = Config['cluster'] & {
  url: string;
  /** This node's name: --node, cluster.node, else the host name. */
  node: string;
  /** Where the spool lives: cluster.spoolDir, else `fallbackDir`/cluster-spool. */
  spoolDir: string;
};

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Null when no cluster is configured (neither --cluster nor cluster.url). `fallbackDir` is where the spool goes
 * when cluster.spoolDir is null: beside the store, or the working directory.
 */
export function clusterSettings(config: Config, flags: { cluster?: unknown; node?: unknown }, fallbackDir: string): ClusterSettings | null {
  const url = typeof flags.cluster === 'string' ? flags.cluster : config.cluster.url;
  if (url === null) return null;
  parseClusterUrl(url);
  let node = typeof flags.node === 'string' ? flags.node : config.cluster.node;
  if (node !== null && !NODE_NAME.test(node)) throw new UsageError(`cluster: --node takes letters, digits, '.', '_' and '-' (at most 64), not '${node}'`);
  // A host name with other characters (rare) still makes a usable, stable row token.
  node ??= hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64) || 'fluxhound';
  return { ...config.cluster, url, node, spoolDir: config.cluster.spoolDir ?? join(fallbackDir, 'cluster-spool') };
}
