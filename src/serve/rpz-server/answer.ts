/**
 * One request in, the response messages out: the whole protocol decision of
 * the RPZ primary as a function of the bytes, the transport, who asked, the
 * key and the journal. No sockets here, so the fuzz test drives it directly.
 *
 * Order of checks: header (or drop) → parse (or FORMERR) → opcode → ACL →
 * TSIG (BADKEY/BADSIG/BADTIME, or REFUSED for an unsigned transfer when a
 * key is set) → zone and type → the answer, signed when the request was.
 */
import type { ZoneDiff, ZoneJournal, ZoneSnapshot } from './journal.js';
import { appendUnsignedTsig, sign, timeBytes, TSIG_ERROR, verify } from './tsig.js';
import type { TsigKey } from './tsig.js';
import {
  CLASS_ANY,
  CLASS_IN,
  encodeMessage,
  OPCODE_NOTIFY,
  OPCODE_QUERY,
  optRecord,
  parseRequest,
  RCODE,
  readHeader,
  responseFlags,
  sameName,
  TYPE,
  WireError,
  FLAG_QR,
  FLAG_TC,
} from './wire.js';
import type { Question, Request } from './wire.js';

export type Transport = 'udp' | 'tcp';

/** What became of a request: the metric label and the log line. */
export type OutcomeKind =
  | 'soa'
  | 'axfr'
  | 'ixfr'
  | 'ixfr-full'
  | 'ixfr-current'
  | 'ixfr-udp'
  | 'refused'
  | 'formerr'
  | 'notimp'
  | 'notauth'
  | 'dropped';

export interface Outcome {
  kind: OutcomeKind;
  /** Why, for refused / formerr / notauth / dropped. */
  reason?: string;
  /** TSIG error for notauth: 'badkey', 'badsig', 'badtime'. */
  tsigError?: 'badkey' | 'badsig' | 'badtime';
  /** Records sent (transfers). */
  records?: number;
  signed?: boolean;
}

export interface AnswerContext {
  journal: ZoneJournal;
  key: TsigKey | null;
  transport: Transport;
  /** The client's address (for the ACL). */
  remote: string;
  allowed: (address: string) => boolean;
  /** Seconds since the epoch. */
  now: () => number;
  /** Largest TCP message to build (bytes, before TSIG). Default 16000. */
  maxMessageBytes?: number;
}

export interface Answer {
  outcome: Outcome;
  /** The messages to send, in order; consumed lazily (a big AXFR is built as it is written). */
  messages: Iterable<Uint8Array>;
}

const NONE: Iterable<Uint8Array> = [];
const UDP_DEFAULT = 512;
const OUR_UDP_SIZE = 1232;

export function answer(msg: Uint8Array, ctx: AnswerContext): Answer {
  const header = readHeader(msg);
  if (header === null) return { outcome: { kind: 'dropped', reason: 'shorter than a DNS header' }, messages: NONE };
  if ((header.flags & FLAG_QR) !== 0) return { outcome: { kind: 'dropped', reason: 'a response, not a request' }, messages: NONE };
  let req: Request;
  try {
    req = parseRequest(msg);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    const reply = encodeMessage({ id: header.id, flags: responseFlags(header.flags, RCODE.FORMERR, false) }, null, []);
    return { outcome: { kind: 'formerr', reason: err.message }, messages: [reply] };
  }
  const plain = (rcode: number, outcome: Outcome): Answer => ({
    outcome,
    messages: [encodeMessage({ id: req.id, flags: responseFlags(req.flags, rcode, false) }, req.question, [])],
  });
  if (req.opcode === OPCODE_NOTIFY) return plain(RCODE.REFUSED, { kind: 'refused', reason: 'NOTIFY to the primary' });
  if (req.opcode !== OPCODE_QUERY) return plain(RCODE.NOTIMP, { kind: 'notimp', reason: `opcode ${req.opcode}` });
  if (!ctx.allowed(ctx.remote)) return plain(RCODE.REFUSED, { kind: 'refused', reason: `${ctx.remote} is not in the transfer ACL` });

  const now = ctx.now();
  let requestMac: Uint8Array | null = null;
  if (req.tsig !== null) {
    const check = verify(msg, req.tsig, ctx.key, now);
    if (!check.ok) return tsigFailure(req, check, ctx, now);
    requestMac = check.mac;
  }
  // Over UDP an IXFR gets the SOA alone, which leaks no more than a SOA query.
  const isTransfer = ctx.transport === 'tcp' && (req.question.type === TYPE.AXFR || req.question.type === TYPE.IXFR);
  if (ctx.key !== null && requestMac === null && isTransfer) {
    return plain(RCODE.REFUSED, { kind: 'refused', reason: 'unsigned transfer request (a TSIG key is set)' });
  }

  const zone = ctx.journal.current;
  const signer = new Signer(ctx.key, requestMac, now);
  const respond = (rcode: number, outcome: Outcome, answers: Uint8Array[] = []): Answer => {
    const additional = req.ednsSize !== null ? [optRecord(OUR_UDP_SIZE)] : [];
    const reply = encodeMessage({ id: req.id, flags: responseFlags(req.flags, rcode, rcode === RCODE.NOERROR) }, req.question, answers, [], additional);
    return { outcome: { ...outcome, signed: requestMac !== null }, messages: [fitUdp(signer.sign(reply), req, ctx.transport)] };
  };
  if ((req.question.class !== CLASS_IN && req.question.class !== CLASS_ANY) || !sameName(req.question.name.wire, zone.originWire)) {
    return respond(RCODE.REFUSED, { kind: 'refused', reason: `not for the zone: ${req.question.name.text}` });
  }
  switch (req.question.type) {
    case TYPE.SOA:
      return respond(RCODE.NOERROR, { kind: 'soa' }, [zone.soaRecord]);
    case TYPE.AXFR:
      if (ctx.transport === 'udp') return respond(RCODE.FORMERR, { kind: 'formerr', reason: 'AXFR over UDP' });
      return transfer(req, ctx, signer, { kind: 'axfr', records: zone.records.size + 2 }, axfrRecords(zone));
    case TYPE.IXFR: {
      if (req.ixfrSerial === null) return respond(RCODE.FORMERR, { kind: 'formerr', reason: 'IXFR without an SOA in the authority section' });
      // Over UDP the current SOA alone tells the client to come back over TCP (RFC 1995 §2).
      if (ctx.transport === 'udp') return respond(RCODE.NOERROR, { kind: 'ixfr-udp' }, [zone.soaRecord]);
      const plan = ctx.journal.plan(req.ixfrSerial);
      if (plan.kind === 'current') return transfer(req, ctx, signer, { kind: 'ixfr-current', records: 1 }, [zone.soaRecord]);
      if (plan.kind === 'full') return transfer(req, ctx, signer, { kind: 'ixfr-full', records: zone.records.size + 2 }, axfrRecords(zone));
      const records = plan.diffs.reduce((n, d) => n + d.added.length + d.deleted.length + 2, 2);
      return transfer(req, ctx, signer, { kind: 'ixfr', records }, ixfrRecords(zone, plan.diffs));
    }
    default:
      return respond(RCODE.REFUSED, { kind: 'refused', reason: `query type ${req.question.type}` });
  }
}

/** BADKEY and BADSIG: NOTAUTH with an unsigned TSIG carrying the error; BADTIME: signed, with our time. */
function tsigFailure(req: Request, check: { error: number; mac: Uint8Array; reason: string }, ctx: AnswerContext, now: number): Answer {
  const tsig = req.tsig!;
  const reply = encodeMessage({ id: req.id, flags: responseFlags(req.flags, RCODE.NOTAUTH, false) }, req.question, []);
  const tsigError = check.error === TSIG_ERROR.BADKEY ? 'badkey' : check.error === TSIG_ERROR.BADSIG ? 'badsig' : 'badtime';
  const outcome: Outcome = { kind: 'notauth', reason: check.reason, tsigError };
  if (check.error === TSIG_ERROR.BADTIME && ctx.key !== null) {
    const signed = sign(reply, ctx.key, { prior: check.mac, timeSigned: tsig.timeSigned, fudge: tsig.fudge, error: check.error, other: timeBytes(now) });
    return { outcome, messages: [signed.message] };
  }
  return { outcome, messages: [appendUnsignedTsig(reply, tsig, check.error)] };
}

/** Signs each message of a response in turn when the request was signed: the first chained to the request MAC, each later one to the previous MAC. */
class Signer {
  private prior: Uint8Array | null;
  private first = true;
  constructor(
    private readonly key: TsigKey | null,
    requestMac: Uint8Array | null,
    private readonly now: number,
  ) {
    this.prior = requestMac;
  }
  get active(): boolean {
    return this.key !== null && this.prior !== null;
  }
  sign(message: Uint8Array): Uint8Array {
    if (this.key === null || this.prior === null) return message;
    const s = sign(message, this.key, { prior: this.prior, timersOnly: !this.first, timeSigned: this.now });
    this.prior = s.mac;
    this.first = false;
    return s.message;
  }
}

function fitUdp(message: Uint8Array, req: Request, transport: Transport): Uint8Array {
  if (transport === 'tcp') return message;
  const limit = Math.max(UDP_DEFAULT, Math.min(req.ednsSize ?? UDP_DEFAULT, 4096));
  if (message.length <= limit) return message;
  // Too big for the client's buffer: the header and question with TC set.
  return encodeMessage({ id: req.id, flags: responseFlags(req.flags, RCODE.NOERROR, true) | FLAG_TC }, req.question, []);
}

function transfer(req: Request, ctx: AnswerContext, signer: Signer, outcome: Outcome, records: Iterable<Uint8Array>): Answer {
  const budget = ctx.maxMessageBytes ?? 16_000;
  const flags = responseFlags(req.flags, RCODE.NOERROR, true);
  return { outcome: { ...outcome, signed: signer.active }, messages: packed(req.id, flags, req.question, records, budget, signer) };
}

/** Packs records into messages of at most `budget` bytes (one record per message at least), signing each. */
function* packed(id: number, flags: number, question: Question, records: Iterable<Uint8Array>, budget: number, signer: Signer): Generator<Uint8Array> {
  const fixed = 12 + question.name.raw.length + 4;
  let batch: Uint8Array[] = [];
  let size = fixed;
  for (const rr of records) {
    if (batch.length > 0 && size + rr.length > budget) {
      yield signer.sign(encodeMessage({ id, flags }, question, batch));
      batch = [];
      size = fixed;
    }
    batch.push(rr);
    size += rr.length;
  }
  if (batch.length > 0) yield signer.sign(encodeMessage({ id, flags }, question, batch));
}

function* axfrRecords(zone: ZoneSnapshot): Generator<Uint8Array> {
  yield zone.soaRecord;
  yield* zone.records.values();
  yield zone.soaRecord;
}

/** RFC 1995 §4: current SOA, then per difference the old SOA, deletions, the new SOA, additions; the current SOA last. */
function* ixfrRecords(zone: ZoneSnapshot, diffs: readonly ZoneDiff[]): Generator<Uint8Array> {
  yield zone.soaRecord;
  for (const d of diffs) {
    yield d.fromSoa;
    yield* d.deleted;
    yield d.toSoa;
    yield* d.added;
  }
  yield zone.soaRecord;
}
