/** Suricata eve.json: `dns` events (EVE DNS v1, v2 and v3) and, for a sink that takes flows, `flow` and `netflow` events. */
import type { SourceFormat } from '../source.js';
import { sniffJsonLines } from '../line-decoder.js';
import { EveDecoder, looksLikeEve } from './decoder.js';

export const eveFormat: SourceFormat = {
  name: 'eve',
  description: 'Suricata eve.json (dns events, EVE DNS v1/v2/v3; flow and netflow events as flows)',
  sniff: (head) => sniffJsonLines(head, looksLikeEve),
  createDecoder: (file, sink) => new EveDecoder(file, sink),
};
