/**
 * Hands generated exchanges straight to an ObservationSink (a detector, a
 * test collector) without serialising them: the way an accuracy evaluation
 * can run the pipeline on a corpus without a round trip through a file.
 * The observation is reused for the next exchange; a sink that keeps it must copy it.
 */
import type { DnsObservation, ResourceRecord } from '../../model/observation.js';
import type { ObservationSink } from '../../sources/source.js';
import { lateAnswers } from '../response.js';
import type { CorpusWriter } from './writer.js';

export class SinkWriter implements CorpusWriter {
  readonly format = 'observations';
  readonly pendingBytes = 0;

  constructor(private readonly sink: ObservationSink) {}

  open(): void {}

  write(observation: DnsObservation): void {
    this.sink.observe(observation);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

/** A deep copy, for sinks that keep observations past the call. */
export function copyObservation(o: DnsObservation): DnsObservation {
  const late = lateAnswers(o);
  const copy: DnsObservation & { late?: ResourceRecord[] } = {
    ...o,
    answers: o.answers.map((r) => ({ ...r })),
    authority: o.authority.map((r) => ({ ...r })),
    additional: o.additional.map((r) => ({ ...r })),
  };
  // A corpus exchange's late second response (an injection's real answer) is reused too: copied
  // when there is one, left off when not (the copy then equals what a source reads back).
  if (late.length > 0) copy.late = late.map((r) => ({ ...r }));
  else delete copy.late;
  return copy;
}
