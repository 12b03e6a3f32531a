/**
 * A DNS wire-format decoder built for hostile input and speed: the hot path of
 * the pcap, dnstap and forwarder inputs. See README.md.
 */
export type { DnsMessage, DnsQuestion } from './message.js';
export { decodeMessage, WireMessage } from './message.js';
export { observationOf } from './observation.js';
export { rcodeName, typeName } from '../../dns/mnemonics.js';
export { ipv4Text, ipv6Text } from './addresses.js';
export { byteText } from '../../dns/byte-text.js';
