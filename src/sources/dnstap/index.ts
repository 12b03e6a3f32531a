/** dnstap: Frame Streams files of dnstap protobuf messages (CLIENT_RESPONSE, RESOLVER_RESPONSE, ...). */
import type { SourceFormat } from '../source.js';
import { DnstapDecoder, FORMAT } from './decoder.js';
import { DNSTAP_CONTENT_TYPE, startsWithStart } from './frames.js';

export const dnstapFormat: SourceFormat = {
  name: FORMAT,
  description: 'dnstap Frame Streams files (Unbound, BIND, Knot Resolver, CoreDNS, dnsdist, fstrm_capture)',
  sniff: (head) => startsWithStart(head, DNSTAP_CONTENT_TYPE),
  createDecoder: (file, sink) => new DnstapDecoder(file, sink),
  flows: false,
};

export { DnstapDecoder } from './decoder.js';
export { DnstapPayloads, IGNORED, addressText } from './payload.js';
export type { FrameOutcome } from './payload.js';
export * from './frames.js';
export { DnstapRecord, MessageType, messageTypeName, readDnstap } from './protobuf.js';
