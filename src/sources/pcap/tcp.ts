/**
 * DNS over TCP (RFC 7766): per direction of a connection, the segments are
 * put back in sequence order and the stream is cut into 2-byte-length-
 * prefixed messages. Retransmissions and overlaps are trimmed; segments that
 * arrive early are held, a few per stream. Everything is bounded: streams,
 * bytes held per stream and bytes held overall; the oldest stream goes first.
 */

/** Streams followed at once. */
export const MAX_STREAMS = 4096;
/** Out-of-order segments held per stream, and their bytes. */
export const MAX_HELD_SEGMENTS = 16;
export const MAX_HELD_BYTES = 64 * 1024;
/** Bytes buffered over all streams (partial messages and held segments). */
export const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
/** A message shorter than a DNS header cannot be one: the stream is out of step. */
const MIN_MESSAGE = 12;

const EMPTY = Buffer.alloc(0);
const FIN = 1;
const SYN = 2;
const RST = 4;

interface Held {
  seq: number;
  data: Buffer;
}

interface Stream {
  key: string;
  /** Sequence number of the next byte expected. */
  next: number;
  /** Bytes after the last whole message (an owned copy). */
  pending: Buffer;
  held: Held[];
  heldBytes: number;
}

export interface StreamEvents {
  /** A whole message is bytes[start, end). Called synchronously; the bytes may be reused afterwards. */
  message(bytes: Uint8Array, start: number, end: number): void;
  /** A stream lost data or ended inside a message. */
  damage(reason: string): void;
}

export class TcpStreams {
  private readonly streams = new Map<string, Stream>();
  private totalBytes = 0;

  constructor(private readonly events: StreamEvents) {}

  /** One segment of the direction `key`, its payload bytes[start, end). */
  segment(key: string, flags: number, seq: number, bytes: Uint8Array, start: number, end: number): void {
    let stream = this.streams.get(key);
    if ((flags & SYN) !== 0) {
      if (stream !== undefined) this.close(stream);
      stream = this.open(key, (seq + 1) >>> 0);
      seq = (seq + 1) >>> 0;
    }
    if (end > start) {
      if (stream === undefined) stream = this.open(key, seq);
      else {
        // Most recently used last, so the first in the map is the one to evict.
        this.streams.delete(key);
        this.streams.set(key, stream);
      }
      this.data(stream, seq, bytes, start, end);
    }
    if ((flags & (FIN | RST)) !== 0 && stream !== undefined && this.streams.get(key) === stream) this.close(stream);
  }

  /** The input ended: streams left inside a message are reported. */
  finish(): void {
    for (const stream of [...this.streams.values()]) this.close(stream);
  }

  private open(key: string, next: number): Stream {
    if (this.streams.size >= MAX_STREAMS) this.evictOldest();
    const stream: Stream = { key, next, pending: EMPTY, held: [], heldBytes: 0 };
    this.streams.set(key, stream);
    return stream;
  }

  private evictOldest(): void {
    const oldest = this.streams.values().next();
    if (oldest.done !== true) this.close(oldest.value);
  }

  private close(stream: Stream): void {
    this.streams.delete(stream.key);
    if (stream.pending.length > 0 || stream.held.length > 0) this.events.damage('TCP stream ended inside a DNS message');
    this.release(stream);
  }

  private release(stream: Stream): void {
    this.totalBytes -= stream.pending.length + stream.heldBytes;
    stream.pending = EMPTY;
    stream.held = [];
    stream.heldBytes = 0;
  }

  private data(stream: Stream, seq: number, bytes: Uint8Array, start: number, end: number): void {
    const offset = (seq - stream.next) | 0;
    if (offset > 0) return this.hold(stream, seq, bytes, start, end);
    // Already seen (a retransmission), wholly or in part.
    if (end - start <= -offset) return;
    start -= offset;
    this.append(stream, bytes, start, end);
    while (stream.held.length > 0 && this.streams.get(stream.key) === stream) {
      const index = stream.held.findIndex((h) => ((h.seq - stream.next) | 0) <= 0);
      if (index < 0) break;
      const [early] = stream.held.splice(index, 1);
      stream.heldBytes -= early!.data.length;
      this.totalBytes -= early!.data.length;
      const skip = (stream.next - early!.seq) | 0;
      if (skip < early!.data.length) this.append(stream, early!.data, skip, early!.data.length);
    }
  }

  private hold(stream: Stream, seq: number, bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    const fits = stream.held.length < MAX_HELD_SEGMENTS && stream.heldBytes + length <= MAX_HELD_BYTES && this.budget(length);
    // Making room may have evicted this very stream: then the segment goes with it.
    if (this.streams.get(stream.key) !== stream) return;
    if (!fits) {
      // Too far ahead to wait for: what is missing will not come. Start again from this segment.
      this.events.damage('TCP segments missing');
      this.release(stream);
      stream.next = seq;
      this.append(stream, bytes, start, end);
      return;
    }
    stream.held.push({ seq, data: Buffer.from(bytes.subarray(start, end)) });
    stream.heldBytes += length;
    this.totalBytes += length;
  }

  /** Makes room for `length` more bytes by evicting the oldest streams; false when even that is not enough. */
  private budget(length: number): boolean {
    while (this.totalBytes + length > MAX_TOTAL_BYTES && this.streams.size > 1) this.evictOldest();
    return this.totalBytes + length <= MAX_TOTAL_BYTES;
  }

  /** In-order bytes: whole messages go out at once, the rest waits in `pending`. */
  private append(stream: Stream, bytes: Uint8Array, start: number, end: number): void {
    stream.next = (stream.next + (end - start)) >>> 0;
    let view: Uint8Array = bytes;
    let p = start;
    let limit = end;
    if (stream.pending.length > 0) {
      view = Buffer.concat([stream.pending, bytes.subarray(start, end)]);
      this.totalBytes -= stream.pending.length;
      stream.pending = EMPTY;
      p = 0;
      limit = view.length;
    }
    while (limit - p >= 2) {
      const length = (view[p]! << 8) | view[p + 1]!;
      if (length < MIN_MESSAGE) {
        this.events.damage(`DNS message length ${length} over TCP`);
        // Out of step with the messages: wait for the next connection or a later segment.
        return;
      }
      if (limit - p - 2 < length) break;
      this.events.message(view, p + 2, p + 2 + length);
      p += 2 + length;
    }
    if (p < limit) {
      const rest = limit - p;
      if (!this.budget(rest) || this.streams.get(stream.key) !== stream) return;
      stream.pending = Buffer.from(view.subarray(p, limit));
      this.totalBytes += rest;
    }
  }
}
