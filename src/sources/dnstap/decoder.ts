/**
 * The dnstap input of `fluxhound analyze`: a Frame Streams file (as written
 * by fstrm_capture, dnstap-read's writers, Unbound/BIND/Knot file output,
 * go-dnscollector) fed in chunks. Every data frame gives one outcome (an
 * observation or a skip) unless it is a query, which is passed over. A
 * file may hold several START..STOP runs (captures concatenated).
 */
import type { Decoder, ObservationSink } from '../source.js';
import { CONTROL_START, DNSTAP_CONTENT_TYPE, FrameReader, type ControlFrame, type FrameHandler } from './frames.js';
import { DnstapPayloads, IGNORED } from './payload.js';
import { ResponseConflicts } from '../dns-wire/conflicts.js';

export const FORMAT = 'dnstap';

export class DnstapDecoder implements Decoder, FrameHandler {
  private readonly reader = new FrameReader(this, { skipOversized: true });
  private readonly payloads = new DnstapPayloads();
  /** Second, different responses to one query, a client's or the resolver's own upstream one (on-path injection): marked on the observation, counted here. */
  readonly responses = new ResponseConflicts();
  /** The content type of the last START, when it is not dnstap's; data frames under it are skipped. */
  private foreignContent: string | null = null;

  constructor(
    private readonly file: string,
    private readonly sink: ObservationSink,
  ) {}

  push(chunk: Buffer): void {
    this.reader.push(chunk);
  }

  end(): void {
    this.reader.end();
  }

  position(): number {
    return this.reader.record;
  }

  data(payload: Buffer, record: number): void {
    if (this.foreignContent !== null) return this.skip(`content type '${this.foreignContent}', not ${DNSTAP_CONTENT_TYPE}`, record);
    const outcome = this.payloads.decode(payload);
    if (outcome === IGNORED) return;
    if (typeof outcome === 'string') return this.skip(outcome, record);
    this.payloads.checkConflict(outcome, this.responses);
    this.sink.observe(outcome);
  }

  control(control: ControlFrame, record: number): void {
    if (control.type !== CONTROL_START) return;
    const offered = control.contentTypes;
    // A START without a content type is allowed by Frame Streams; take it as dnstap.
    this.foreignContent = offered.length === 0 || offered.includes(DNSTAP_CONTENT_TYPE) ? null : offered.join(', ');
    if (this.foreignContent !== null) this.skip(`START with content type '${this.foreignContent}', not ${DNSTAP_CONTENT_TYPE}`, record);
  }

  bad(reason: string, record: number): void {
    this.skip(reason, record);
  }

  private skip(reason: string, line: number): void {
    this.sink.skip({ position: { file: this.file, line }, format: FORMAT, reason });
  }
}
