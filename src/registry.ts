/**
 * The one ordered list of inputs (and, as they arrive, outputs). Adding an
 * input is one folder under sources/ and one line here; auto-detection tries
 * formats in this order, most specific first.
 */
import type { SourceFormat } from './sources/source.js';
import { textFormats } from './sources/index.js';
import { dnstapFormat } from './sources/dnstap/index.js';
import { pcapFormat } from './sources/pcap/index.js';
import type { ServiceFactory } from './serve/service.js';
import { dnsService } from './serve/dns/index.js';
import { httpService } from './serve/http/index.js';
import { storeService } from './store/service.js';
import { rpzServerService } from './serve/rpz-server/index.js';
import { followService } from './serve/follow/index.js';
import { dnstapService } from './serve/dnstap/index.js';
import { rpzFileService } from './serve/rpz-file/index.js';
import { ipBlocklistService } from './serve/rpz-file/blocklist.js';
import { blockPageService } from './serve/block-page/index.js';

export const sourceFormats: readonly SourceFormat[] = [dnstapFormat, pcapFormat, ...textFormats];

export function formatNames(): string[] {
  return sourceFormats.map((f) => f.name);
}

/**
 * The parts of `fluxhound serve`, in start order (stopped in reverse): each
 * adds its flags and starts only when they are given.
 */
export const serviceFactories: readonly ServiceFactory[] = [
  // The store first: it restores flagged names and windows before anything is served.
  storeService(),
  followService(() => sourceFormats),
  dnstapService,
  rpzServerService,
  rpzFileService,
  ipBlocklistService,
  blockPageService,
  dnsService(),
  httpService(),
];
