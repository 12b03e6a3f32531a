/**
 * One producer's connection: the Frame Streams handshake and the data
 * frames. Bidirectional senders (Unbound, BIND, Knot Resolver, CoreDNS via
 * libfstrm or its Go port) send READY with their content types, get ACCEPT,
 * send START, data, and STOP, which is answered with FINISH. Unidirectional
 * senders start with START and end with STOP or by closing.
 *
 * Every frame is handled synchronously as its bytes arrive; a bad frame is
 * reported through the sink (with the peer and data frame number) and the
 * connection goes on; a frame the stream cannot be followed past (an
 * oversized length, a malformed control frame, a protocol violation) ends
 * the connection.
 */
import type { Socket } from 'node:net';
import type { ObservationSink } from '../../sources/source.js';
import {
  CONTROL_ACCEPT,
  CONTROL_FINISH,
  CONTROL_READY,
  CONTROL_START,
  CONTROL_STOP,
  DNSTAP_CONTENT_TYPE,
  FrameReader,
  controlName,
  encodeControl,
  type ControlFrame,
  type FrameHandler,
} from '../../sources/dnstap/frames.js';
import { DnstapPayloads, IGNORED } from '../../sources/dnstap/payload.js';
import type { ResponseConflicts } from '../../sources/dns-wire/conflicts.js';

/** Counters of one endpoint, summed over its connections. */
export interface EndpointCounters {
  connections: number;
  open: number;
  refused: number;
  frames: number;
  messages: number;
  ignored: number;
  bad: number;
  bytes: number;
  /** Responses marked as a second, different response to one query (on-path injection). */
  conflicts: number;
}

export function emptyCounters(): EndpointCounters {
  return { connections: 0, open: 0, refused: 0, frames: 0, messages: 0, ignored: 0, bad: 0, bytes: 0, conflicts: 0 };
}

const ACCEPT_DNSTAP = encodeControl(CONTROL_ACCEPT, [DNSTAP_CONTENT_TYPE]);
const FINISH = encodeControl(CONTROL_FINISH);

type Phase = 'new' | 'accepted' | 'started' | 'stopped';

export interface ConnectionOptions {
  socket: Socket;
  /** How logs and skips name the peer: '127.0.0.1:53124', 'unix:/run/fluxhound/dnstap.sock#3'. */
  peer: string;
  sink: ObservationSink;
  counters: EndpointCounters;
  payloads: DnstapPayloads;
  /** The service's memory of recent responses (one for every connection: a query and its racing answers may come over different ones after a reconnect). */
  responses: ResponseConflicts;
  maxFrame: number;
}

export class DnstapConnection implements FrameHandler {
  private readonly reader: FrameReader;
  private phase: Phase = 'new';
  private bidirectional = false;
  /** This connection's own counts, for the log line when it closes. */
  readonly seen = { frames: 0, messages: 0, bad: 0 };
  /** Why the connection broke (a protocol error, a socket error); null while it runs or after a clean end. */
  failure: string | null = null;
  /** Why we ended it on purpose (stopping, no START in time); null otherwise. */
  endedBecause: string | null = null;

  constructor(private readonly options: ConnectionOptions) {
    this.reader = new FrameReader(this, { maxFrame: options.maxFrame, skipOversized: false });
  }

  /** True between frames (no frame partly read): the governor's frame deadline is not running. */
  get atBoundary(): boolean {
    return this.reader.atBoundary;
  }

  get started(): boolean {
    return this.phase === 'started';
  }

  /** A socket error is a failure unless the stream had already ended (a producer that closes right after STOP makes FINISH fail with EPIPE). */
  socketError(err: Error): void {
    if (this.phase !== 'stopped' && this.endedBecause === null && this.failure === null) this.failure = err.message;
  }

  push(chunk: Buffer): void {
    this.options.counters.bytes += chunk.length;
    this.reader.push(chunk);
  }

  /** The peer closed (or the socket failed): a frame cut short is reported. */
  closed(): void {
    if (this.phase !== 'stopped' && !this.reader.dead && !this.reader.atBoundary) this.reader.end();
  }

  data(payload: Buffer, record: number): void {
    this.count();
    if (this.phase !== 'started') return this.report(`data frame before START`, record);
    const outcome = this.options.payloads.decode(payload);
    if (outcome === IGNORED) {
      this.options.counters.ignored++;
      return;
    }
    if (typeof outcome === 'string') return this.report(outcome, record);
    this.options.counters.messages++;
    this.seen.messages++;
    if (this.options.payloads.checkConflict(outcome, this.options.responses)) this.options.counters.conflicts++;
    this.options.sink.observe(outcome);
  }

  control(control: ControlFrame, record: number): void {
    this.count();
    const offers = control.contentTypes;
    switch (control.type) {
      case CONTROL_READY:
        if (this.phase !== 'new') return this.fail(`READY after ${this.phase === 'accepted' ? 'READY' : 'START'}`, record);
        if (!offers.includes(DNSTAP_CONTENT_TYPE)) return this.fail(`READY offers ${describe(offers)}, not ${DNSTAP_CONTENT_TYPE}`, record);
        this.bidirectional = true;
        this.phase = 'accepted';
        this.options.socket.write(ACCEPT_DNSTAP);
        return;
      case CONTROL_START:
        if (this.phase === 'started') return this.fail('START after START', record);
        if (this.phase === 'stopped') return this.fail('START after STOP', record);
        // Frame Streams allows a START without a content type; one naming another type is refused.
        if (offers.length > 0 && !offers.includes(DNSTAP_CONTENT_TYPE)) return this.fail(`START with content type ${describe(offers)}, not ${DNSTAP_CONTENT_TYPE}`, record);
        this.phase = 'started';
        return;
      case CONTROL_STOP:
        this.phase = 'stopped';
        this.reader.stop();
        if (this.bidirectional) this.options.socket.end(FINISH);
        else this.options.socket.end();
        return;
      default:
        // ACCEPT and FINISH go from receiver to sender, never this way.
        return this.report(`unexpected ${controlName(control.type)} from the sender`, record);
    }
  }

  bad(reason: string, record: number, fatal: boolean): void {
    if (fatal) this.count();
    if (fatal && reason.startsWith('truncated')) return this.report(`peer disconnected mid-frame: ${reason}`, record);
    if (fatal) return this.fail(reason, record);
    this.count();
    this.report(reason, record);
  }

  /** Ends the connection by our choice (stop): our side closes, frames still in flight are read until the producer closes. */
  end(reason: string): void {
    if (this.endedBecause === null) this.endedBecause = reason;
    this.options.socket.end();
  }

  /** Drops the connection at once (no START in time, an internal error): a silent peer cannot keep its slot. */
  drop(reason: string): void {
    if (this.failure === null) this.failure = reason;
    this.reader.stop();
    this.options.socket.destroy();
  }

  private count(): void {
    this.options.counters.frames++;
    this.seen.frames++;
  }

  private report(reason: string, record: number): void {
    this.options.counters.bad++;
    this.seen.bad++;
    this.options.sink.skip({ position: { file: this.options.peer, line: record }, format: 'dnstap', reason });
  }

  /** A frame the stream cannot go on after: reported, and the connection closed. */
  private fail(reason: string, record: number): void {
    this.report(reason, record);
    this.failure = reason;
    this.reader.stop();
    this.options.socket.destroy();
  }
}

function describe(offers: readonly string[]): string {
  return offers.length === 0 ? 'no content type' : offers.map((offer) => `'${offer}'`).join(', ');
}
