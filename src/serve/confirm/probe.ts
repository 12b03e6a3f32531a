/**
 * One probe on the wire: the query fluxhound sends for a name and type
 * (written with the one name writer, src/dns), and the observation its
 * answer becomes (read with the one decoder, src/sources/dns-wire), marked
 * as fluxhound's own lookup.
 */
import { Buffer } from 'node:buffer';
import { CLASS_IN, FLAG_RD, HEADER_LENGTH, TYPE } from '../../dns/constants.js';
import { nameToWire } from '../../dns/name-writer.js';
import type { DnsObservation } from '../../model/observation.js';
import { decodeMessage, observationOf } from '../../sources/dns-wire/index.js';
import type { ProbeType } from './schedule.js';

/** EDNS UDP size offered: big enough for a flux answer, small enough not to fragment (DNS flag day 2020). */
const EDNS_UDP_SIZE = 1232;

export interface ProbeQuery {
  /** The query; its ID is set by the upstream client (a fresh random one per query). */
  bytes: Buffer;
  /** Where the question ends (what the answer must echo). */
  questionEnd: number;
}

/** A recursive query for `name` (the detector's one name text) and `qtype`, with an EDNS OPT; null when the text is no DNS name. */
export function probeQuery(name: string, qtype: ProbeType): ProbeQuery | null {
  let wire: Uint8Array;
  try {
    wire = nameToWire(name);
  } catch {
    return null;
  }
  const questionEnd = HEADER_LENGTH + wire.length + 4;
  const bytes = Buffer.alloc(questionEnd + 11);
  bytes.writeUInt16BE(FLAG_RD, 2);
  bytes.writeUInt16BE(1, 4); // QDCOUNT
  bytes.writeUInt16BE(1, 10); // ARCOUNT: the OPT record
  bytes.set(wire, HEADER_LENGTH);
  bytes.writeUInt16BE(TYPE[qtype], questionEnd - 4);
  bytes.writeUInt16BE(CLASS_IN, questionEnd - 2);
  // OPT: root owner, type 41, class = UDP size, TTL 0 (no DO), no options.
  bytes.writeUInt16BE(TYPE.OPT, questionEnd + 1);
  bytes.writeUInt16BE(EDNS_UDP_SIZE, questionEnd + 3);
  return { bytes, questionEnd };
}

/** What a probe's answer told: the observation (null when it does not decode) and the smallest TTL of its answer records (-1: none). */
export interface ProbeAnswer {
  observation: DnsObservation | null;
  ttl: number;
}

/** The answer to a probe, as the detector takes it: no client (fluxhound asked), origin 'probe'. */
export function probeAnswer(answer: Uint8Array, ts: number): ProbeAnswer {
  const message = decodeMessage(answer);
  if (typeof message === 'string') return { observation: null, ttl: -1 };
  const observation = observationOf(message, ts, null);
  if (observation === null) return { observation: null, ttl: -1 };
  observation.origin = 'probe';
  let ttl = -1;
  for (const r of observation.answers) if (r.ttl !== null && (ttl < 0 || r.ttl < ttl)) ttl = r.ttl;
  return { observation, ttl };
}
