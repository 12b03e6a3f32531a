/**
 * Raw datagram files: one NetFlow v5/v9 or IPFIX datagram, or several back
 * to back (framing.ts says where each ends), decoded with one TemplateCache
 * per file, the file's name as the exporter. Positions are datagram numbers
 * (1-based); a bad record is reported at its datagram, the set and record in
 * the reason ('set 2 record 3: no source or destination address').
 */
import type { FlowRecord } from '../../model/flow.js';
import { implausibleTime, isPlausibleTime } from '../../model/observation.js';
import type { Decoder, ObservationSink } from '../source.js';
import { decodeDatagram, type DecodeResult } from './decode.js';
import { datagramLength, MAX_DATAGRAM, NEED_MORE, NOT_A_DATAGRAM } from './framing.js';
import { TemplateCache, type TemplateCacheOptions } from './templates.js';

export const FORMAT = 'netflow';

/** Flows of one decoded datagram to the sink, skips with the detail after 'datagram N' as the reason's prefix. */
export function deliver(result: DecodeResult, prefix: string, file: string, line: number, format: string, sink: ObservationSink, label = ''): void {
  for (const skipped of result.skipped) {
    const detail = `${label} ${skipped.position.slice(prefix.length).trim()}`.trim();
    sink.skip({ position: { file, line }, format, reason: detail === '' ? skipped.reason : `${detail}: ${skipped.reason}`, flow: true });
  }
  for (const flow of result.flows) deliverFlow(flow, prefix, file, line, format, sink, label);
}

function deliverFlow(flow: FlowRecord, prefix: string, file: string, line: number, format: string, sink: ObservationSink, label: string): void {
  // The same 1987..2106 rule as every other input, so a flow and a lookup are joined on one clock.
  const time = !isPlausibleTime(flow.start) ? flow.start : !isPlausibleTime(flow.end) ? flow.end : null;
  if (time === null) return sink.flow?.(flow);
  const detail = `${label} ${flow.position.slice(prefix.length).trim()}`.trim();
  sink.skip({ position: { file, line }, format, reason: `${detail}: ${implausibleTime(time)}`, flow: true });
}

/** Export time of a datagram header (seconds), the clock its templates' lifetimes are measured on in a file. */
export function exportTime(b: Uint8Array): number {
  const version = b.length >= 2 ? (b[0]! << 8) | b[1]! : 0;
  const at = version === 10 ? 4 : 8;
  if (b.length < at + 4) return 0;
  return (((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0);
}

export class NetflowFileDecoder implements Decoder {
  private readonly cache: TemplateCache;
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** Datagrams read so far. */
  private datagrams = 0;
  /** Bytes passed over since the last datagram because no datagram starts in them (reported once per stretch). */
  private damaged = 0;

  constructor(
    private readonly file: string,
    private readonly sink: ObservationSink,
    templates: TemplateCacheOptions = {},
  ) {
    this.cache = new TemplateCache(templates);
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const left = this.buffer.length - this.offset;
    this.buffer = left === 0 ? chunk : Buffer.concat([this.buffer.subarray(this.offset), chunk]);
    this.offset = 0;
    this.frame(false);
  }

  end(): void {
    this.frame(true);
    const left = this.buffer.length - this.offset;
    if (left > 0) {
      this.damaged += left;
      this.offset = this.buffer.length;
    }
    this.reportDamage();
  }

  position(): number {
    return Math.max(1, this.datagrams);
  }

  private frame(ended: boolean): void {
    const b = this.buffer;
    const end = b.length;
    while (this.offset < end) {
      const at = this.offset;
      // Zeros between datagrams are padding; a version's high byte is zero, so stop one short of the next non-zero byte.
      if (b[at] === 0 && (at + 1 >= end || b[at + 1] === 0)) {
        let q = at;
        while (q < end && b[q] === 0) q++;
        // Zeros inside a damaged stretch are part of it.
        if (this.damaged > 0) this.damaged += Math.max(0, q - 1 - at);
        if (q === end && !ended) {
          this.offset = Math.max(at, q - 1);
          return;
        }
        this.offset = q === end ? end : q - 1;
        if (this.offset === at) this.offset++;
        continue;
      }
      const length = datagramLength(b, at, end, ended);
      if (length === NEED_MORE) return;
      if (length === NOT_A_DATAGRAM) {
        if (ended && this.damaged === 0 && this.truncatedDatagram(b, at, end)) {
          this.datagram(b.subarray(at, end));
          this.offset = end;
          return;
        }
        this.damaged++;
        this.offset++;
        if (this.damaged > 0 && !ended) this.trimDamage();
        continue;
      }
      this.reportDamage();
      this.datagram(b.subarray(at, at + length));
      this.offset = at + length;
    }
  }

  /**
   * At the end of the input, a datagram whose header is sound but whose bytes
   * stop short is decoded as far as it goes: the decoder reports the cut.
   */
  private truncatedDatagram(b: Uint8Array, at: number, end: number): boolean {
    const version = end - at >= 2 ? (b[at]! << 8) | b[at + 1]! : 0;
    // A sound v5 header whose records are not all there yet.
    if (version === 5) return end - at >= 24 && datagramLength(b, at, end, false) === NEED_MORE;
    if (version === 9) return end - at >= 24;
    if (version === 10) return end - at >= 20;
    return false;
  }

  /** While resyncing, bytes already passed over are dropped so that damage cannot grow the buffer. */
  private trimDamage(): void {
    if (this.offset > MAX_DATAGRAM) {
      this.buffer = this.buffer.subarray(this.offset);
      this.offset = 0;
    }
  }

  private reportDamage(): void {
    if (this.damaged === 0) return;
    const bytes = this.damaged;
    this.damaged = 0;
    this.sink.skip({
      position: { file: this.file, line: this.datagrams + 1 },
      format: FORMAT,
      reason: `${bytes} byte${bytes === 1 ? '' : 's'} that start no NetFlow v5/v9 or IPFIX datagram passed over`,
      flow: true,
    });
  }

  private datagram(bytes: Uint8Array): void {
    this.datagrams++;
    const prefix = `${this.file}: datagram ${this.datagrams}`;
    const result = decodeDatagram(bytes, { exporter: this.file, cache: this.cache, position: prefix, now: exportTime(bytes) });
    deliver(result, prefix, this.file, this.datagrams, FORMAT, this.sink);
  }
}
