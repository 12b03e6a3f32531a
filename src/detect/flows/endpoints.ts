/**
 * What one end of a flow is, for the analytics: a public address worth a
 * table entry, a known CDN/cloud address (ordinary browsing: never flux,
 * never fan-out), or special-purpose space (private, loopback, multicast:
 * never anyone's flux host). And which end started the conversation.
 */
import type { Infra } from '../../enrich/infra/index.js';
import type { FlowRecord } from '../../model/flow.js';
import { parseIPv4, parseIPv6Into } from '../../model/names.js';
import { nonRoutableV4, nonRoutableV6 } from '../../model/special-purpose.js';

export const PUBLIC = 0;
export const KNOWN = 1;
export const NON_ROUTABLE = 2;
export type EndpointClass = typeof PUBLIC | typeof KNOWN | typeof NON_ROUTABLE;

const groups = new Uint16Array(8);

/** The class of an address text (canonical, as FlowRecord carries it); text that is no address is non-routable. */
export function classify(address: string, infra: Infra | null): EndpointClass {
  const v4 = parseIPv4(address);
  if (v4 >= 0) {
    if (nonRoutableV4(v4) >= 0) return NON_ROUTABLE;
    return infra !== null && infra.providerOfV4(v4) >= 0 ? KNOWN : PUBLIC;
  }
  if (!parseIPv6Into(address, groups)) return NON_ROUTABLE;
  if (nonRoutableV6(groups) >= 0) return NON_ROUTABLE;
  return infra !== null && infra.providerOfV6(groups) >= 0 ? KNOWN : PUBLIC;
}

/**
 * A unidirectional record (NetFlow/IPFIX export each direction apart) of the
 * answer to a connection: from a service port to the higher, ephemeral port
 * of the side that connected (≥ 1024). Its destination started the
 * conversation, so a reply from a flux host to our client is that client's
 * outbound connection, not the flux host calling in. Port-less protocols
 * (ICMP) and peer-to-peer ports both above the service range read as
 * started by their source.
 */
export function isReply(flow: Pick<FlowRecord, 'srcPort' | 'dstPort'>): boolean {
  return flow.srcPort > 0 && flow.dstPort >= 1024 && flow.srcPort < flow.dstPort && flow.srcPort < 49152;
}

/**
 * Ports whose servers of ours legitimately talk to many distinct addresses:
 * a resolver asks thousands of authoritative servers (53, 853 DNS over TLS),
 * an NTP server polls a pool (123). Never counted towards fan-out.
 */
export function isServicePort(port: number): boolean {
  return port === 53 || port === 123 || port === 853;
}
