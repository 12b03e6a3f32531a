/**
 * The hop-by-hop EDNS options of a stream connection: edns-tcp-keepalive
 * (RFC 7828, option 11) and padding (RFC 7830, option 12). Both describe
 * one hop, not the answer: an upstream's keepalive names the idle timeout
 * of ITS connection to us, and its padding was sized for that link. So
 * they are taken out of every upstream answer before it is cached or sent
 * (RFC 7828 section 3.3.2: never over UDP; a cached answer may go to a UDP
 * client), and a stream listener puts its own back when the query asked.
 */
import { appendOpt, findOpt, forEachOption, OPTION_PADDING } from './padding.js';

/** RFC 7828: the edns-tcp-keepalive option code. */
export const OPTION_TCP_KEEPALIVE = 11;
/** The query carries a padding option (pad the answer). */
export const WANTS_PADDING = 1;
/** The query carries edns-tcp-keepalive with no TIMEOUT, as RFC 7828 section 3.2.1 says a client sends it. */
export const WANTS_KEEPALIVE = 2;
/** RFC 7828: TIMEOUT is a 16-bit count of 100 ms units. */
const KEEPALIVE_UNIT_MS = 100;

/** The hop-by-hop options a query asks for (WANTS_* bits), in one walk of its OPT record; 0 without one. */
export function hopOptionsWanted(query: Uint8Array): number {
  const opt = findOpt(query);
  if (opt === null || opt === undefined) return 0;
  let wanted = 0;
  forEachOption(query, opt, (code, at) => {
    if (code === OPTION_PADDING) wanted |= WANTS_PADDING;
    // A keepalive carrying a TIMEOUT is not a client's (a misbehaving proxy's echo): not answered.
    else if (code === OPTION_TCP_KEEPALIVE && ((query[at + 2]! << 8) | query[at + 3]!) === 0) wanted |= WANTS_KEEPALIVE;
  });
  return wanted;
}

/** The idle timeout in RFC 7828's 100 ms units, rounded down (never announce more than we keep), at most 65535. */
export function keepaliveUnits(idleMs: number): number {
  return Math.min(0xffff, Math.max(0, Math.floor(idleMs / KEEPALIVE_UNIT_MS)));
}

/** True for the options that belong to one hop. */
function isHopOption(code: number): boolean {
  return code === OPTION_TCP_KEEPALIVE || code === OPTION_PADDING;
}

/**
 * The upstream's answer without keepalive and padding options; the answer
 * itself (no copy) when it has none, or cannot be walked.
 */
export function withoutHopOptions(answer: Buffer): Buffer {
  const opt = findOpt(answer);
  if (opt === null || opt === undefined) return answer;
  let found = false;
  forEachOption(answer, opt, (code) => (found = isHopOption(code)));
  return found ? rewriteOptions(answer, null) : answer;
}

/**
 * The answer with our edns-tcp-keepalive option (TIMEOUT `units` × 100 ms)
 * in place of any it had; an OPT record is added when it has none. The
 * answer itself when it cannot be walked.
 */
export function withKeepalive(answer: Buffer, units: number): Buffer {
  const option = Buffer.allocUnsafe(6);
  option.writeUInt16BE(OPTION_TCP_KEEPALIVE, 0);
  option.writeUInt16BE(2, 2);
  option.writeUInt16BE(units, 4);
  return rewriteOptions(answer, option);
}

/** The answer with its hop-by-hop options dropped and `added` (whole options) appended to its OPT record. */
function rewriteOptions(answer: Buffer, added: Buffer | null): Buffer {
  const opt = findOpt(answer);
  if (opt === undefined) return answer;
  const extra = added?.length ?? 0;
  if (opt === null) {
    if (added === null) return answer;
    const { out, rdata } = appendOpt(answer, extra);
    added.copy(out, rdata);
    return out;
  }
  const kept: Buffer[] = [];
  let keptBytes = 0;
  forEachOption(answer, opt, (code, at, next) => {
    if (!isHopOption(code)) {
      kept.push(answer.subarray(at, next));
      keptBytes += next - at;
    }
  });
  const rdata = keptBytes + extra;
  if (rdata > 0xffff) return answer;
  const start = opt.rdlength + 2;
  const out = Buffer.allocUnsafe(start + rdata + (answer.length - opt.end));
  answer.copy(out, 0, 0, start);
  out.writeUInt16BE(rdata, opt.rdlength);
  let at = start;
  for (const part of kept) at += part.copy(out, at);
  if (added !== null) at += added.copy(out, at);
  answer.copy(out, at, opt.end);
  return out;
}
