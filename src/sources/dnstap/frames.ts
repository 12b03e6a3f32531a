/**
 * Frame Streams (the transport of dnstap, farsightsec/fstrm): a stream of
 * frames, each a 32-bit big-endian length and that many bytes. A length of 0
 * escapes a control frame: its own 32-bit length (at most 512), a 32-bit
 * control type and fields (32-bit field type, 32-bit length, bytes; field 1 is
 * a content type such as "protobuf:dnstap.Dnstap").
 *
 * FrameReader is pushed chunks as they arrive and hands out whole frames
 * synchronously. A frame inside one chunk is handed out as a view of the
 * chunk (no copy); only a frame cut between chunks is copied, into a buffer
 * of its own size, and never more than the frame cap: memory per reader is
 * bounded by the cap whatever the peer sends.
 *
 * Positions are data-frame numbers (records), as a pcap's are packet
 * numbers: control frames are framing, like a pcap's header, and are not
 * counted; a report about one carries the number the next data frame gets.
 */

export const CONTROL_ACCEPT = 0x01;
export const CONTROL_START = 0x02;
export const CONTROL_STOP = 0x03;
export const CONTROL_READY = 0x04;
export const CONTROL_FINISH = 0x05;
const FIELD_CONTENT_TYPE = 0x01;

/** fstrm's FSTRM_CONTROL_FRAME_LENGTH_MAX. */
export const MAX_CONTROL_FRAME = 512;
/** A dnstap message holds at most a 64 KiB query and a 64 KiB response, plus a little. */
export const DEFAULT_MAX_FRAME = 256 * 1024;
export const DNSTAP_CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

const CONTROL_NAMES = ['', 'ACCEPT', 'START', 'STOP', 'READY', 'FINISH'];

export function controlName(type: number): string {
  return CONTROL_NAMES[type] ?? `control type ${type}`;
}

export interface ControlFrame {
  type: number;
  contentTypes: string[];
}

export interface FrameHandler {
  /** A data frame and its number; `payload` may be a view of the pushed chunk, valid during the call only. */
  data(payload: Buffer, record: number): void;
  /** A control frame; `record` is the number the next data frame gets. */
  control(control: ControlFrame, record: number): void;
  /**
   * A frame that could not be read. `fatal`: the stream cannot be followed
   * past it (a malformed control frame, or an oversized frame when
   * oversized frames are not skipped); the reader ignores the rest.
   */
  bad(reason: string, record: number, fatal: boolean): void;
}

export interface FrameReaderOptions {
  /** Data frames longer than this are not buffered. Default 256 KiB. */
  maxFrame?: number;
  /** Skip an oversized data frame by its length and go on (files), or stop reading (live peers). Default true. */
  skipOversized?: boolean;
}

const LENGTH = 0;
const CONTROL_LENGTH = 1;
const PAYLOAD = 2;
const SKIP = 3;
const DEAD = 4;

export class FrameReader {
  /** 1-based number of the data frame being read now, or of the next one while a control frame is read. */
  record = 1;
  /** Bytes pushed so far. */
  bytes = 0;
  private state = LENGTH;
  private readonly header = Buffer.alloc(4);
  private headerFilled = 0;
  /** Payload length of the frame being read, or bytes left to skip. */
  private need = 0;
  private isControl = false;
  private partial: Buffer | null = null;
  private partialFilled = 0;
  private readonly maxFrame: number;
  private readonly skipOversized: boolean;

  constructor(
    private readonly handler: FrameHandler,
    options: FrameReaderOptions = {},
  ) {
    this.maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.skipOversized = options.skipOversized ?? true;
  }

  /** True after a fatal error: the rest of the stream is ignored. */
  get dead(): boolean {
    return this.state === DEAD;
  }

  /** True between frames: nothing of a frame has been read. */
  get atBoundary(): boolean {
    return this.state === LENGTH && this.headerFilled === 0;
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      const state = this.state;
      if (state === LENGTH || state === CONTROL_LENGTH) {
        let value: number;
        if (this.headerFilled === 0 && end - pos >= 4) {
          value = chunk.readUInt32BE(pos);
          pos += 4;
        } else {
          while (this.headerFilled < 4 && pos < end) this.header[this.headerFilled++] = chunk[pos++]!;
          if (this.headerFilled < 4) return;
          this.headerFilled = 0;
          value = this.header.readUInt32BE(0);
        }
        if (state === LENGTH) this.onLength(value);
        else this.onControlLength(value);
      } else if (state === PAYLOAD) {
        const available = end - pos;
        if (this.partial === null && available >= this.need) {
          this.deliver(chunk.subarray(pos, pos + this.need));
          pos += this.need;
          continue;
        }
        if (this.partial === null) {
          this.partial = Buffer.allocUnsafe(this.need);
          this.partialFilled = 0;
        }
        const take = Math.min(available, this.need - this.partialFilled);
        chunk.copy(this.partial, this.partialFilled, pos, pos + take);
        this.partialFilled += take;
        pos += take;
        if (this.partialFilled === this.need) {
          const payload = this.partial;
          this.partial = null;
          this.deliver(payload);
        }
      } else if (state === SKIP) {
        const take = Math.min(end - pos, this.need);
        this.need -= take;
        pos += take;
        if (this.need === 0) this.nextFrame(true);
      } else {
        return;
      }
    }
  }

  /** The input ended: a frame cut short is reported. */
  end(): void {
    const state = this.state;
    if (state === DEAD || state === SKIP || (state === LENGTH && this.headerFilled === 0)) return;
    let reason: string;
    if (state === PAYLOAD) reason = `truncated ${this.isControl ? 'control ' : ''}frame: ${this.partialFilled} of ${this.need} bytes`;
    else reason = `truncated ${state === CONTROL_LENGTH ? 'control ' : ''}frame length: ${this.headerFilled} of 4 bytes`;
    this.state = DEAD;
    this.partial = null;
    this.handler.bad(reason, this.record, true);
  }

  /** Bytes held for a frame cut between chunks (for metrics and tests). */
  get buffered(): number {
    return this.partial === null ? 0 : this.partial.length;
  }

  private onLength(length: number): void {
    if (length === 0) {
      this.state = CONTROL_LENGTH;
      return;
    }
    if (length > this.maxFrame) {
      const reason = `data frame of ${length} bytes over the ${this.maxFrame}-byte cap`;
      if (!this.skipOversized) return this.die(reason);
      this.handler.bad(`${reason}: skipped`, this.record, false);
      this.need = length;
      this.state = SKIP;
      return;
    }
    this.isControl = false;
    this.need = length;
    this.state = PAYLOAD;
  }

  private onControlLength(length: number): void {
    if (length < 4 || length > MAX_CONTROL_FRAME) return this.die(`control frame of ${length} bytes (4..${MAX_CONTROL_FRAME})`);
    this.isControl = true;
    this.need = length;
    this.state = PAYLOAD;
  }

  /** The handler sees this.record as the data frame's own number; the next one starts after it returns. */
  private deliver(payload: Buffer): void {
    const record = this.record;
    if (!this.isControl) {
      this.handler.data(payload, record);
      this.nextFrame(true);
      return;
    }
    const control = parseControl(payload);
    if (typeof control === 'string') return this.die(control);
    if (control.type < CONTROL_ACCEPT || control.type > CONTROL_FINISH) {
      this.handler.bad(`unknown control frame type ${control.type}`, record, false);
    } else {
      this.handler.control(control, record);
    }
    this.nextFrame(false);
  }

  private nextFrame(wasData: boolean): void {
    if (this.state === DEAD) return;
    if (wasData) this.record++;
    this.state = LENGTH;
  }

  /** Ignore the rest of the stream (the peer broke the protocol). */
  stop(): void {
    this.state = DEAD;
    this.partial = null;
  }

  private die(reason: string): void {
    this.state = DEAD;
    this.partial = null;
    this.handler.bad(reason, this.record, true);
  }
}

/** A control frame's type and content types, or why it is malformed. */
export function parseControl(payload: Buffer): ControlFrame | string {
  if (payload.length < 4) return 'control frame without a type';
  const control: ControlFrame = { type: payload.readUInt32BE(0), contentTypes: [] };
  let pos = 4;
  while (pos < payload.length) {
    if (payload.length - pos < 8) return `malformed ${controlName(control.type)} frame: field header cut at byte ${pos}`;
    const fieldType = payload.readUInt32BE(pos);
    const length = payload.readUInt32BE(pos + 4);
    pos += 8;
    if (length > payload.length - pos) return `malformed ${controlName(control.type)} frame: field of ${length} bytes past the end`;
    if (fieldType === FIELD_CONTENT_TYPE) control.contentTypes.push(payload.toString('latin1', pos, pos + length));
    pos += length;
  }
  return control;
}

/** One control frame, escape included, ready to write. */
export function encodeControl(type: number, contentTypes: readonly string[] = []): Buffer {
  const fields = contentTypes.map((contentType) => Buffer.from(contentType, 'latin1'));
  const length = 4 + fields.reduce((sum, field) => sum + 8 + field.length, 0);
  const frame = Buffer.alloc(8 + length);
  frame.writeUInt32BE(0, 0);
  frame.writeUInt32BE(length, 4);
  frame.writeUInt32BE(type, 8);
  let pos = 12;
  for (const field of fields) {
    frame.writeUInt32BE(FIELD_CONTENT_TYPE, pos);
    frame.writeUInt32BE(field.length, pos + 4);
    field.copy(frame, pos + 8);
    pos += 8 + field.length;
  }
  return frame;
}

/** One data frame: its length, then the payload. */
export function encodeData(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
}

/** True when `head` starts with a START control frame offering `contentType` (the dnstap sniffer). */
export function startsWithStart(head: Buffer, contentType: string): boolean {
  if (head.length < 12 || head.readUInt32BE(0) !== 0) return false;
  const length = head.readUInt32BE(4);
  if (length < 4 || length > MAX_CONTROL_FRAME || head.length < 8 + length) return false;
  const control = parseControl(head.subarray(8, 8 + length));
  return typeof control !== 'string' && control.type === CONTROL_START && control.contentTypes.includes(contentType);
}
