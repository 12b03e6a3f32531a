/**
 * NOTIFY (RFC 1996): after the zone changes, tell each secondary its serial,
 * from the server's own UDP socket (so the source is the address the
 * secondaries know as the primary). Changes are debounced; each NOTIFY is
 * retried with a doubling timeout until the secondary answers or the tries
 * run out; a newer serial replaces one still being retried. Signed with the
 * TSIG key when one is set; a signed answer must verify to count as acked.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { ZoneSnapshot } from './journal.js';
import { sign, verify } from './tsig.js';
import type { TsigKey } from './tsig.js';
import { CLASS_IN, encodeMessage, FLAG_AA, OPCODE_NOTIFY, parseRequest, RCODE, TYPE, WireError } from './wire.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface NotifyCounters {
  notifiesSent: number;
  notifiesAcked: number;
  notifiesFailed: number;
}

export interface NotifierOptions {
  targets: readonly Endpoint[];
  key: () => TsigKey | null;
  log: Logger;
  counters: NotifyCounters;
  send: (message: Uint8Array, target: Endpoint) => void;
  now: () => number;
  /** Milliseconds to wait after a change before notifying (more changes in between share one NOTIFY). Default 200. */
  debounceMs?: number;
  /** First retry timeout, doubled each try. Default 1000. */
  retryMs?: number;
  /** Tries per NOTIFY. Default 5. */
  tries?: number;
}

interface Pending {
  target: Endpoint;
  id: number;
  serial: number;
  mac: Uint8Array | null;
  tries: number;
  timer: NodeJS.Timeout | null;
  message: Uint8Array;
}

export class Notifier {
  private debounce: NodeJS.Timeout | null = null;
  private readonly pending = new Map<string, Pending>();
  private stopped = false;

  constructor(private readonly options: NotifierOptions) {}

  /** The zone changed: notify every target soon. */
  changed(zone: () => ZoneSnapshot): void {
    if (this.stopped || this.options.targets.length === 0) return;
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      const snapshot = zone();
      for (const target of this.options.targets) this.start(target, snapshot);
    }, this.options.debounceMs ?? 200);
  }

  private start(target: Endpoint, zone: ZoneSnapshot): void {
    const key = keyOf(target);
    const old = this.pending.get(key);
    if (old?.timer) clearTimeout(old.timer);
    const id = randomInt(0, 65536);
    const question = { name: { text: zone.origin, wire: zone.originWire, raw: zone.originWire }, type: TYPE.SOA, class: CLASS_IN };
    let message = encodeMessage({ id, flags: (OPCODE_NOTIFY << 11) | FLAG_AA }, question, [zone.soaRecord]);
    let mac: Uint8Array | null = null;
    const tsigKey = this.options.key();
    if (tsigKey !== null) {
      const signed = sign(message, tsigKey, { prior: null, timeSigned: this.options.now() });
      message = signed.message;
      mac = signed.mac;
    }
    const entry: Pending = { target, id, serial: zone.serial, mac, tries: 0, timer: null, message };
    this.pending.set(key, entry);
    this.attempt(entry);
  }

  private attempt(entry: Pending): void {
    if (this.stopped) return;
    const tries = this.options.tries ?? 5;
    if (entry.tries >= tries) {
      this.pending.delete(keyOf(entry.target));
      this.options.counters.notifiesFailed++;
      this.options.log.warn({ target: keyOf(entry.target), serial: entry.serial }, `NOTIFY unanswered after ${tries} tries`);
      return;
    }
    const timeout = (this.options.retryMs ?? 1000) * 2 ** entry.tries;
    entry.tries++;
    this.options.counters.notifiesSent++;
    this.options.send(entry.message, entry.target);
    entry.timer = setTimeout(() => this.attempt(entry), timeout);
  }

  /** A NOTIFY response arrived on the server socket; true when it was one we waited for. */
  response(msg: Uint8Array, from: Endpoint): boolean {
    const entry = this.pending.get(keyOf(from));
    if (entry === undefined) return false;
    let parsed;
    try {
      parsed = parseRequest(msg);
    } catch (err) {
      if (err instanceof WireError) return false;
      throw err;
    }
    if (parsed.id !== entry.id || parsed.opcode !== OPCODE_NOTIFY) return false;
    const key = this.options.key();
    if (entry.mac !== null && key !== null) {
      if (parsed.tsig === null) {
        this.options.log.warn({ target: keyOf(from) }, 'unsigned answer to a signed NOTIFY ignored');
        return false;
      }
      const check = verify(msg, parsed.tsig, key, this.options.now(), entry.mac);
      if (!check.ok) {
        this.options.log.warn({ target: keyOf(from), reason: check.reason }, 'NOTIFY answer failed TSIG');
        return false;
      }
    }
    if (entry.timer) clearTimeout(entry.timer);
    this.pending.delete(keyOf(from));
    const rcode = parsed.flags & 0xf;
    if (rcode === RCODE.NOERROR) {
      this.options.counters.notifiesAcked++;
      this.options.log.info({ target: keyOf(from), serial: entry.serial }, 'NOTIFY acknowledged');
    } else {
      this.options.counters.notifiesFailed++;
      this.options.log.warn({ target: keyOf(from), serial: entry.serial, rcode }, 'NOTIFY answered with an error');
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.debounce !== null) clearTimeout(this.debounce);
    for (const entry of this.pending.values()) if (entry.timer) clearTimeout(entry.timer);
    this.pending.clear();
  }
}

function keyOf(e: Endpoint): string {
  const host = e.host.startsWith('::ffff:') ? e.host.slice(7) : e.host;
  return host.includes(':') ? `[${host}]:${e.port}` : `${host}:${e.port}`;
}
