/**
 * A flux network's members for the API (Detector.networkMembers) from the
 * partitions' parts: each worker knows the edges of its own domains only
 * (a name's addresses live in its partition), the main thread the network's
 * sample domains and addresses (its replica of the graph). Merged in the
 * order one Detector lists them: edges by sample domain, address facts first
 * from those edges, then from the graph's other addresses, at most `limit`.
 */
import type { NetworkMembers } from '../detector.js';

export type AddressFact = NetworkMembers['addresses'][number];

export function mergeMembers(
  id: string,
  domains: readonly string[],
  parts: readonly (NetworkMembers | null | undefined)[],
  /** The graph's addresses of the network (AddressKey as text), oldest first. */
  more: readonly string[],
  /** AS and country of an address no part described. */
  lookup: (address: string) => AddressFact,
  limit: number,
): NetworkMembers {
  const order = new Map(domains.map((d, i) => [d, i]));
  const edges: NetworkMembers['edges'] = [];
  const known = new Map<string, AddressFact>();
  for (const part of parts) {
    if (part === null || part === undefined) continue;
    edges.push(...part.edges);
    for (const fact of part.addresses) if (!known.has(fact.address)) known.set(fact.address, fact);
  }
  // Stable: a domain's edges keep its worker's order.
  edges.sort((a, b) => (order.get(a.domain) ?? Infinity) - (order.get(b.domain) ?? Infinity));
  const facts = new Map<string, AddressFact>();
  const add = (address: string): void => {
    if (facts.size < limit && !facts.has(address)) facts.set(address, known.get(address) ?? lookup(address));
  };
  for (const edge of edges) add(edge.address);
  for (const address of more) {
    if (facts.size >= limit) break;
    add(address);
  }
  return { id, domains: [...domains], addresses: [...facts.values()], edges };
}
