/**
 * One admitted connection under the governor: its deadlines and its
 * outbound budget.
 *
 * Deadlines (one timer, re-armed only when the state changes):
 * - handshake (TLS): from accept until the TLS handshake is done, within the
 *   first-byte deadline (the first bytes a TLS client owes are its
 *   handshake); the first-byte or header deadline starts after it;
 * - first byte: from accept (or the end of the handshake) until anything arrives;
 * - frame: from the first byte of a frame (a DNS or dnstap length-prefixed
 *   message, an HTTP request header) until the whole frame is in. More bytes
 *   of the same frame do not move it, so a byte trickle (slowloris) dies here;
 * - idle: between frames. It is put off while the service still works for
 *   the client (answers pending) or the client reads what was written.
 *
 * Back-pressure: `write` queues a reply; past `pauseBytes` of unsent bytes
 * the connection stops being read (no new queries, no new replies) until
 * the socket drains; past `maxBytes` it is cut (outbound_budget).
 */
import type { Socket } from 'node:net';
import type { RefusalReason } from './limits.js';

export interface ConnectionLimits {
  firstByteMs: number;
  frameMs: number;
  idleMs: number;
  outboundPauseBytes: number;
  outboundMaxBytes: number;
}

/** How long a gracefully closed connection may take to close its side before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;

type Phase = 'handshake' | 'first' | 'frame' | 'idle' | 'busy' | 'closed';

export class GovernedConnection {
  private phase: Phase = 'first';
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private flushedAtCheck = 0;
  /** Requests the service is still answering (the idle deadline waits for them). */
  inFlight = 0;
  /** Why the governor cut this connection, or null. */
  cutBecause: RefusalReason | null = null;
  /** Where replies go: the socket, or the TLS stream over it (encrypted). */
  private out: Socket;
  /** Told when the TLS handshake ends (the gate's handshake budget); null when none is pending. */
  private onHandshakeDone: (() => void) | null = null;

  constructor(
    readonly socket: Socket,
    /** The peer address ('' for a unix socket). */
    readonly client: string,
    private readonly limits: ConnectionLimits,
    private readonly onCut: (reason: RefusalReason) => void,
    private readonly onPause: () => void,
    /** HTTP: the parser owns the bytes, so the header deadline runs from accept (and from each response). */
    private readonly http = false,
  ) {
    this.out = socket;
    if (http) this.arm('frame', limits.frameMs);
    else this.arm('first', limits.firstByteMs);
    socket.once('close', () => this.closed());
  }

  /**
   * After the service parsed a chunk: `completed` frames came in whole and
   * `partial` bytes of the next are waiting. Only a completed frame or the
   * start of a new one moves a deadline; a byte that adds to a partial frame
   * moves nothing.
   */
  received(completed: number, partial: number): void {
    if (this.phase === 'closed') return;
    if (partial > 0) {
      if (this.phase !== 'frame' || completed > 0) this.arm('frame', this.limits.frameMs);
    } else if (completed > 0 || this.phase === 'first' || this.phase === 'frame') {
      this.arm('idle', this.limits.idleMs);
    }
  }

  /** HTTP: a whole request header arrived; the service answers now, no deadline meanwhile. */
  requestStarted(): void {
    if (this.phase === 'closed') return;
    this.clear();
    this.phase = 'busy';
  }

  /**
   * HTTP: the response is written; the next request header must arrive whole
   * within the frame deadline (the parser hides when it starts, so the wait
   * and the header share it; a keep-alive connection left unused is idle).
   */
  responseDone(): void {
    if (this.phase === 'closed' || this.socket.destroyed) return;
    this.arm('idle', this.limits.frameMs);
  }

  /**
   * TLS: a handshake starts on this connection (the gate counted it). It
   * must end within the first-byte deadline (handshake_deadline); `done`
   * runs when it ends.
   */
  handshakeStarted(done: () => void): void {
    if (this.phase === 'closed') return;
    this.onHandshakeDone = done;
    this.arm('handshake', this.limits.firstByteMs);
  }

  /** TLS: the handshake is done; the first-byte (or HTTP header) deadline runs from now. */
  handshakeDone(): void {
    if (this.phase !== 'handshake') return;
    const done = this.onHandshakeDone;
    this.onHandshakeDone = null;
    done?.();
    if (this.http) this.arm('frame', this.limits.frameMs);
    else this.arm('first', this.limits.firstByteMs);
  }

  /** True while a TLS handshake is pending. */
  get inHandshake(): boolean {
    return this.phase === 'handshake';
  }

  /**
   * Replies (write, back-pressure) go through `stream` from now on: a
   * server-side TLSSocket over this socket (DNS over TLS). Deadlines and
   * cuts stay on the socket, so a trickled handshake dies at the first-byte
   * deadline like any silent client.
   */
  secure(stream: Socket): void {
    this.out = stream;
  }

  /** Queues `bytes` for the client; false when the connection is gone or was cut for the outbound budget. */
  write(bytes: Uint8Array): boolean {
    const socket = this.out;
    if (socket.destroyed || !socket.writable) return false;
    socket.write(bytes);
    const queued = socket.writableLength;
    if (queued > this.limits.outboundMaxBytes) {
      this.cut('outbound_budget');
      return false;
    }
    if (queued > this.limits.outboundPauseBytes && !this.paused) {
      this.paused = true;
      this.onPause();
      socket.pause();
      socket.once('drain', () => {
        this.paused = false;
        if (!socket.destroyed) socket.resume();
      });
    }
    return true;
  }

  /** True while reading is stopped for unsent replies. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Bytes held for this connection in user space: unsent replies and read-but-unparsed input. */
  get bufferedBytes(): number {
    const out = this.out === this.socket ? 0 : this.out.writableLength + this.out.readableLength;
    return out + this.socket.writableLength + this.socket.readableLength;
  }

  /**
   * Destroys the connection and counts it under `reason`, once: a second
   * cut counts nothing. A connection that already closed may still be
   * counted (a parser that ended it reports why after the close). An idle
   * TLS connection is closed gracefully instead: close_notify and FIN (the
   * client knows the server closed a resting connection, not that its data
   * was cut), destroyed after CLOSE_GRACE_MS whatever the client does.
   */
  cut(reason: RefusalReason): void {
    if (this.cutBecause !== null) return;
    this.cutBecause = reason;
    this.onCut(reason);
    this.closed();
    if (reason === 'idle' && this.out !== this.socket && !this.out.destroyed) {
      const socket = this.socket;
      this.out.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    this.socket.destroy();
  }

  private arm(phase: Phase, ms: number): void {
    this.clear();
    this.phase = phase;
    this.flushedAtCheck = this.flushed();
    this.timer = setTimeout(() => this.expired(), ms);
    this.timer.unref();
  }

  private expired(): void {
    this.timer = null;
    const phase = this.phase;
    if (phase === 'handshake') return this.cut('handshake_deadline');
    if (phase === 'first') return this.cut('first_byte_deadline');
    if (phase === 'frame') return this.cut('frame_deadline');
    if (phase !== 'idle') return;
    // Still answering, or the client is reading a long answer (a zone transfer): not idle.
    const flushed = this.flushed();
    if (this.inFlight > 0 || flushed > this.flushedAtCheck) {
      this.arm('idle', this.limits.idleMs);
      return;
    }
    this.cut('idle');
  }

  /** Bytes handed to the kernel so far (written minus still queued). */
  private flushed(): number {
    return this.socket.bytesWritten - this.socket.writableLength;
  }

  private clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private closed(): void {
    this.clear();
    this.phase = 'closed';
  }
}
