/**
 * A Frame Streams sender (the producer side of what the listener receives):
 * READY/ACCEPT when bidirectional, START, data frames, STOP/FINISH. Used by
 * the tests and by the benchmark's load generator; resolvers have their own.
 */
import { connect, type Socket } from 'node:net';
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
  encodeData,
} from '../../src/sources/dnstap/frames.js';

export type Target = { path: string } | { host: string; port: number };

/** 'unix:/path' or 'tcp:127.0.0.1:PORT' (what DnstapService.addresses() gives) as a connect target. */
export function targetOf(address: string): Target {
  if (address.startsWith('unix:')) return { path: address.slice(5) };
  const match = /^tcp:\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (match === null) throw new Error(`not an endpoint: ${address}`);
  return { host: match[1]!, port: Number(match[2]) };
}

export class FrameStreamsProducer {
  private readonly controls: number[] = [];
  private waiting: ((type: number) => void) | null = null;
  private readonly closed: Promise<void>;

  private constructor(
    readonly socket: Socket,
    private readonly bidirectional: boolean,
  ) {
    const reader = new FrameReader({
      data: () => undefined,
      control: (control) => {
        if (this.waiting !== null) this.waiting(control.type);
        else this.controls.push(control.type);
      },
      bad: () => socket.destroy(),
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Connects and does the handshake; `contentType` lets tests offer the wrong one. */
  static async connect(target: Target, options: { bidirectional?: boolean; contentType?: string } = {}): Promise<FrameStreamsProducer> {
    const socket = 'path' in target ? connect({ path: target.path }) : connect({ host: target.host, port: target.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const producer = new FrameStreamsProducer(socket, options.bidirectional ?? true);
    const contentType = options.contentType ?? DNSTAP_CONTENT_TYPE;
    if (producer.bidirectional) {
      socket.write(encodeControl(CONTROL_READY, [contentType]));
      const reply = await producer.nextControl();
      if (reply !== CONTROL_ACCEPT) throw new Error(`expected ACCEPT, got ${reply === -1 ? 'the connection closed' : controlName(reply)}`);
    }
    socket.write(encodeControl(CONTROL_START, [contentType]));
    return producer;
  }

  /** Writes one data frame; false when the socket's buffer is full (wait for drain()). */
  send(payload: Uint8Array): boolean {
    return this.socket.write(encodeData(payload));
  }

  /** Writes bytes as they are (for hostile tests). */
  sendRaw(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  drain(): Promise<void> {
    return this.socket.writableNeedDrain ? new Promise((resolve) => this.socket.once('drain', () => resolve())) : Promise.resolve();
  }

  /** STOP, then FINISH (bidirectional) and the close; resolves once the receiver has closed. */
  async finish(): Promise<boolean> {
    this.socket.write(encodeControl(CONTROL_STOP));
    let finished = !this.bidirectional;
    if (this.bidirectional) finished = (await this.nextControl()) === CONTROL_FINISH;
    this.socket.end();
    await this.closed;
    return finished;
  }

  /** Resolves when the receiver has closed the connection. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  /** The next control frame type from the receiver; -1 when the connection closes first. */
  private nextControl(): Promise<number> {
    const queued = this.controls.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const onClose = (): void => {
        this.waiting = null;
        resolve(-1);
      };
      this.socket.once('close', onClose);
      this.waiting = (type) => {
        this.waiting = null;
        this.socket.off('close', onClose);
        resolve(type);
      };
    });
  }
}
