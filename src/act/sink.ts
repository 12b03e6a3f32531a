/** What every action implements: verdicts in, something done with them. */
import type { Verdict } from '../model/verdict.js';

export interface VerdictSink {
  /** 'ndjson', 'table', 'rpz', ... */
  readonly name: string;
  /** Called for every final verdict the run reports (already filtered by --all). */
  verdict(verdict: Verdict): void;
  /** The run ended; flush and release. */
  close(): Promise<void>;
}
