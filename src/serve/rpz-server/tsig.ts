/**
 * TSIG (RFC 8945) with HMAC-SHA256: verify a request, sign responses (the
 * first chained to the request MAC, every later message of a transfer to the
 * previous MAC with the timers only), sign a request (NOTIFY) and verify its
 * answer. Only hmac-sha256 is offered; its MAC is never truncated here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ByteWriter, CLASS_ANY, encodeRecord, nameToWire, TYPE, lowerWire, sameName } from './wire.js';
import type { TsigRecord } from './wire.js';

export const TSIG_ERROR = { BADSIG: 16, BADKEY: 17, BADTIME: 18 } as const;
export const HMAC_SHA256 = 'hmac-sha256.';
const ALGORITHM_WIRE = nameToWire(HMAC_SHA256);
const MAC_LENGTH = 32;
/** Seconds of clock difference allowed (RFC 8945 recommends 300). */
export const DEFAULT_FUDGE = 300;

export interface TsigKey {
  /** Absolute, lower-case: 'fluxhound-rpz.'. */
  name: string;
  /** Canonical wire form of the name. */
  nameWire: Uint8Array;
  secret: Buffer;
}

export function makeKey(name: string, secret: Buffer): TsigKey {
  const absolute = name.endsWith('.') ? name.toLowerCase() : `${name.toLowerCase()}.`;
  return { name: absolute, nameWire: lowerWire(nameToWire(absolute)), secret };
}

/** What checking a request's TSIG found. */
export type TsigCheck =
  | { ok: true; mac: Uint8Array; timeSigned: number }
  | { ok: false; error: number; /** The request MAC to chain a BADTIME answer to; empty otherwise. */ mac: Uint8Array; reason: string };

function hmac(key: TsigKey): ReturnType<typeof createHmac> {
  return createHmac('sha256', key.secret);
}

/** The message as it was before the TSIG record was added: original ID, one record fewer. */
function unsignedPart(msg: Uint8Array, tsig: TsigRecord): Uint8Array {
  const part = Uint8Array.from(msg.subarray(0, tsig.start));
  part[0] = tsig.originalId >>> 8;
  part[1] = tsig.originalId & 0xff;
  const ar = ((part[10]! << 8) | part[11]!) - 1;
  part[10] = (ar >>> 8) & 0xff;
  part[11] = ar & 0xff;
  return part;
}

interface Variables {
  timeSigned: number;
  fudge: number;
  error: number;
  other: Uint8Array;
}

function variables(key: TsigKey, v: Variables, timersOnly: boolean): Uint8Array {
  const w = new ByteWriter();
  if (!timersOnly) w.bytes(key.nameWire).u16(CLASS_ANY).u32(0).bytes(ALGORITHM_WIRE);
  w.u48(v.timeSigned).u16(v.fudge);
  if (!timersOnly) w.u16(v.error).u16(v.other.length).bytes(v.other);
  return w.done();
}

function computeMac(key: TsigKey, prior: Uint8Array | null, message: Uint8Array, v: Variables, timersOnly: boolean): Uint8Array {
  const h = hmac(key);
  if (prior !== null) {
    h.update(Uint8Array.of(prior.length >>> 8, prior.length & 0xff));
    h.update(prior);
  }
  h.update(message);
  h.update(variables(key, v, timersOnly));
  return new Uint8Array(h.digest());
}

/**
 * Checks a request's TSIG against the configured key, in the order RFC 8945
 * §5.2 gives: key and algorithm (BADKEY), MAC (BADSIG), time (BADTIME).
 * With `prior` (the MAC of our own request) it checks a response instead.
 */
export function verify(msg: Uint8Array, tsig: TsigRecord, key: TsigKey | null, nowSeconds: number, prior: Uint8Array | null = null): TsigCheck {
  if (key === null || !sameName(tsig.keyName.wire, key.nameWire)) {
    return { ok: false, error: TSIG_ERROR.BADKEY, mac: new Uint8Array(0), reason: `unknown key ${tsig.keyName.text}` };
  }
  if (!sameName(tsig.algorithm.wire, ALGORITHM_WIRE)) {
    return { ok: false, error: TSIG_ERROR.BADKEY, mac: new Uint8Array(0), reason: `unsupported algorithm ${tsig.algorithm.text}` };
  }
  const expected = computeMac(key, prior, unsignedPart(msg, tsig), tsig, false);
  if (tsig.mac.length !== MAC_LENGTH || !timingSafeEqual(Buffer.from(tsig.mac), Buffer.from(expected))) {
    return { ok: false, error: TSIG_ERROR.BADSIG, mac: new Uint8Array(0), reason: 'MAC does not verify' };
  }
  if (Math.abs(nowSeconds - tsig.timeSigned) > tsig.fudge) {
    return { ok: false, error: TSIG_ERROR.BADTIME, mac: tsig.mac, reason: `time signed ${tsig.timeSigned} is ${nowSeconds - tsig.timeSigned} s off` };
  }
  return { ok: true, mac: tsig.mac, timeSigned: tsig.timeSigned };
}

export interface SignOptions {
  /** The request MAC (first response) or the previous message's MAC (later messages); null to sign a request. */
  prior: Uint8Array | null;
  /** Later messages of a multi-message answer cover the timers only. */
  timersOnly?: boolean;
  timeSigned: number;
  fudge?: number;
  error?: number;
  other?: Uint8Array;
}

/**
 * Appends a TSIG record to an encoded message (its ID is the original ID)
 * and returns the signed message and its MAC, for chaining.
 */
export function sign(msg: Uint8Array, key: TsigKey, options: SignOptions): { message: Uint8Array; mac: Uint8Array } {
  const v: Variables = { timeSigned: options.timeSigned, fudge: options.fudge ?? DEFAULT_FUDGE, error: options.error ?? 0, other: options.other ?? new Uint8Array(0) };
  const mac = computeMac(key, options.prior, msg, v, options.timersOnly ?? false);
  return { message: appendTsig(msg, key.nameWire, v, mac), mac };
}

/** An unsigned TSIG error answer (BADKEY, BADSIG): the TSIG record carries the error and an empty MAC. */
export function appendUnsignedTsig(msg: Uint8Array, tsig: TsigRecord, error: number): Uint8Array {
  const v: Variables = { timeSigned: tsig.timeSigned, fudge: tsig.fudge, error, other: new Uint8Array(0) };
  return appendTsig(msg, tsig.keyName.wire, v, new Uint8Array(0), tsig.algorithm.wire);
}

function appendTsig(msg: Uint8Array, keyName: Uint8Array, v: Variables, mac: Uint8Array, algorithm: Uint8Array = ALGORITHM_WIRE): Uint8Array {
  const id = (msg[0]! << 8) | msg[1]!;
  const rdata = new ByteWriter()
    .bytes(algorithm)
    .u48(v.timeSigned)
    .u16(v.fudge)
    .u16(mac.length)
    .bytes(mac)
    .u16(id)
    .u16(v.error)
    .u16(v.other.length)
    .bytes(v.other)
    .done();
  const rr = encodeRecord(keyName, TYPE.TSIG, CLASS_ANY, 0, rdata);
  const out = new Uint8Array(msg.length + rr.length);
  out.set(msg);
  out.set(rr, msg.length);
  const ar = ((out[10]! << 8) | out[11]!) + 1;
  out[10] = (ar >>> 8) & 0xff;
  out[11] = ar & 0xff;
  return out;
}

/** 48-bit time as 6 bytes (BADTIME answers carry the server's time in Other Data). */
export function timeBytes(seconds: number): Uint8Array {
  return new ByteWriter().u48(seconds).done();
}
