/** The `netflow` input format: raw NetFlow v5/v9 and IPFIX datagram files. See README.md. */
import type { SourceFormat } from '../source.js';
import { NetflowFileDecoder } from './file.js';
import { sniffDatagrams } from './framing.js';
import type { TemplateCacheOptions } from './templates.js';

export interface NetflowFormatOptions {
  /** Template lifetime and cap (config flows.templates), one cache per input file. */
  templates?: TemplateCacheOptions;
}

/** The format with its options parsed once; `netflowFormat` has the defaults (1800 s, 10,000 templates). */
export function createNetflowFormat(options: NetflowFormatOptions = {}): SourceFormat {
  const templates = { ...options.templates };
  return {
    name: 'netflow',
    description: 'raw NetFlow v5/v9 or IPFIX datagrams, one or several back to back (nc -u -l > file)',
    sniff: sniffDatagrams,
    magic: 'a NetFlow v5/v9 or IPFIX datagram file (no plausible export header at its start)',
    createDecoder: (file, sink) => new NetflowFileDecoder(file, sink, templates),
  };
}

export const netflowFormat: SourceFormat = createNetflowFormat();
