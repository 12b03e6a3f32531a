/**
 * Decoding one DNS message (RFC 1035 §4) from bytes into questions and
 * ResourceRecords in the model's presentation forms. Hostile input gives a
 * one-line reason instead of a message; nothing is read outside [start, end).
 *
 * WireMessage is the hot path (pcap): one reader reused message after
 * message, so the header and the question are not new objects per packet;
 * only what the observation keeps is allocated — its records and one exactly
 * sized array per section, made as the section is read and handed over.
 * decodeMessage gives the same fields as a fresh DnsMessage.
 */
import type { DnsObservation, ResourceRecord } from '../../model/observation.js';
import { rcodeName, typeName } from '../../dns/mnemonics.js';
import { lastName, readName, resetNameCache } from '../../dns/name-reader.js';
import { recordData, TYPE_OPT } from './rdata.js';
import { RecordGatherer } from '../record-gatherer.js';
import { rcodeHash, recordHash } from './answer-hash.js';

export interface DnsQuestion {
  name: string;
  type: number;
  qclass: number;
}

export interface DnsMessage {
  id: number;
  flags: number;
  qr: boolean;
  opcode: number;
  /** The 4-bit header rcode (EDNS extended bits are not added). */
  rcode: number;
  truncated: boolean;
  questions: DnsQuestion[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

/** Section names for reasons ('truncated answer 3'), by section index. */
const SECTION_NAMES = ['answer', 'authority', 'additional'] as const;

/** A reusable reader of DNS messages; the fields describe the last message read without a reason. */
export class WireMessage {
  id = 0;
  flags = 0;
  qr = false;
  /** The 4-bit header rcode. */
  rcode = 0;
  /** Questions in the message; the first one's fields follow. */
  questionCount = 0;
  qname = '';
  qtype = 0;
  qclass = 0;
  /**
   * The records of each section of the last message, exactly sized; null
   * for none. New arrays every message: records are gathered in locals and
   * a young array, so storing them costs no write barrier into this
   * long-lived reader (one store per section rather than one per record).
   */
  private readonly lists: (ResourceRecord[] | null)[] = [null, null, null];
  /** The section being read (one reused gatherer: sections are read one at a time). */
  private readonly gathered = new RecordGatherer();
  /** Sum of the answer records' recordHash (answer-hash.ts), for answerHash. */
  private answerSum = 0;
  /** Whether `lists` were handed to an observation (a second one gets copies). */
  private handedOver = false;
  /** Why the last section read failed. */
  private sectionError = '';

  /**
   * Reads the message in bytes[start, end); null when it was read, or a
   * one-line reason ('answer 2 name: compression loop at offset 40',
   * 'truncated answer 3', ...). A record whose data does not fit its type
   * (an A record of 3 bytes, a bad name in an NS record) is dropped and the
   * rest kept, as text sources do; OPT pseudo-records are left out. Every
   * question is added to `questions` when it is given.
   */
  read(bytes: Uint8Array, start: number, end: number, questions: DnsQuestion[] | null = null): string | null {
    if (end > bytes.length) end = bytes.length;
    if (start < 0 || end - start < 12) return 'truncated header';
    resetNameCache(bytes, start);
    // A message that fails part way must not show the records of the one before.
    const lists = this.lists;
    lists[0] = lists[1] = lists[2] = null;
    this.handedOver = false;
    this.answerSum = 0;
    const flags = (bytes[start + 2]! << 8) | bytes[start + 3]!;
    const qdcount = (bytes[start + 4]! << 8) | bytes[start + 5]!;
    this.id = (bytes[start]! << 8) | bytes[start + 1]!;
    this.flags = flags;
    this.qr = (flags & 0x8000) !== 0;
    this.rcode = flags & 15;
    this.questionCount = qdcount;
    let p = start + 12;
    for (let i = 0; i < qdcount; i++) {
      const name = readName(bytes, p, start, end);
      if (name === null) return `question ${i + 1} name: ${lastName.error}`;
      p = lastName.end;
      if (p + 4 > end) return `truncated question ${i + 1}`;
      const type = (bytes[p]! << 8) | bytes[p + 1]!;
      const qclass = (bytes[p + 2]! << 8) | bytes[p + 3]!;
      if (i === 0) {
        this.qname = name;
        this.qtype = type;
        this.qclass = qclass;
      }
      if (questions !== null) questions.push({ name, type, qclass });
      p += 4;
    }
    for (let s = 0; s < 3; s++) {
      const at = start + 6 + 2 * s;
      p = this.readSection(bytes, p, start, end, (bytes[at]! << 8) | bytes[at + 1]!, s);
      if (p < 0) return this.sectionError;
    }
    return null;
  }

  /**
   * The hash ResponseConflicts compares the last message's answers by: its
   * rcode and answer records (type and data), in any order (answer-hash.ts).
   */
  answerHash(): number {
    return (rcodeHash(this.rcode) + this.answerSum) | 0;
  }

  /** The answer records of the last message: a new array every call. */
  answers(): ResourceRecord[] {
    return copyOf(this.lists[0] ?? null);
  }

  authority(): ResourceRecord[] {
    return copyOf(this.lists[1] ?? null);
  }

  additional(): ResourceRecord[] {
    return copyOf(this.lists[2] ?? null);
  }

  /**
   * The observation the last message gives, as observationOf: null for a
   * query or a message without a question. The first one made from a
   * message takes its section arrays; any later one gets copies, so no two
   * observations share an array.
   */
  observation(ts: number, client: string | null): DnsObservation | null {
    if (!this.qr || this.questionCount === 0) return null;
    const lists = this.lists;
    const fresh = !this.handedOver;
    this.handedOver = true;
    return {
      ts,
      qname: this.qname,
      qtype: typeName(this.qtype),
      rcode: rcodeName(this.rcode),
      client,
      answers: fresh ? (lists[0] ?? []) : copyOf(lists[0] ?? null),
      authority: fresh ? (lists[1] ?? []) : copyOf(lists[1] ?? null),
      additional: fresh ? (lists[2] ?? []) : copyOf(lists[2] ?? null),
      count: 1,
      firstSeen: ts,
    };
  }

  /**
   * Reads `count` records from `p` into section `s`; returns the offset after
   * them, or -1 with sectionError set. Each record takes at least 11 bytes,
   * so a hostile count ends at the data's end.
   */
  private readSection(bytes: Uint8Array, p: number, start: number, end: number, count: number, s: number): number {
    const gathered = this.gathered;
    gathered.drop();
    let answerSum = 0;
    for (let i = 0; i < count; i++) {
      const owner = readName(bytes, p, start, end);
      if (owner === null) {
        this.sectionError = `${SECTION_NAMES[s]!} ${i + 1} name: ${lastName.error}`;
        return -1;
      }
      p = lastName.end;
      if (p + 10 > end) {
        this.sectionError = `truncated ${SECTION_NAMES[s]!} ${i + 1}`;
        return -1;
      }
      const type = (bytes[p]! << 8) | bytes[p + 1]!;
      const ttlBits = ((bytes[p + 4]! << 24) | (bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) | bytes[p + 7]!) >>> 0;
      const rdStart = p + 10;
      const rdEnd = rdStart + ((bytes[p + 8]! << 8) | bytes[p + 9]!);
      if (rdEnd > end) {
        this.sectionError = `truncated ${SECTION_NAMES[s]!} ${i + 1}`;
        return -1;
      }
      p = rdEnd;
      if (type === TYPE_OPT) continue;
      const data = recordData(type, bytes, rdStart, rdEnd, start);
      if (data === null) continue;
      if (s === 0) answerSum = (answerSum + recordHash(type, bytes, rdStart, rdEnd, data)) | 0;
      // RFC 2181 §8: a TTL with the sign bit set counts as 0.
      const record: ResourceRecord = { name: owner, type: typeName(type), data, ttl: ttlBits > 0x7fffffff ? 0 : ttlBits };
      gathered.add(record);
    }
    if (s === 0) this.answerSum = answerSum;
    // Exactly sized (record-gatherer.ts); an empty section stays null, no array made.
    if (gathered.size > 0) this.lists[s] = gathered.take();
    return p;
  }
}

/** A new array holding what `list` holds (none for null). */
function copyOf(list: ResourceRecord[] | null): ResourceRecord[] {
  return list === null ? [] : list.slice();
}

/** The reader behind decodeMessage (its results are copied out before it returns). */
const reader = new WireMessage();

/**
 * A decoded message, or a one-line reason (see WireMessage.read). Each call
 * gives new objects: callers may keep them.
 */
export function decodeMessage(bytes: Uint8Array, start = 0, end = bytes.length): DnsMessage | string {
  const questions: DnsQuestion[] = [];
  const reason = reader.read(bytes, start, end, questions);
  if (reason !== null) return reason;
  const flags = reader.flags;
  return {
    id: reader.id,
    flags,
    qr: reader.qr,
    opcode: (flags >>> 11) & 15,
    rcode: reader.rcode,
    truncated: (flags & 0x0200) !== 0,
    questions,
    answers: reader.answers(),
    authority: reader.authority(),
    additional: reader.additional(),
  };
}
