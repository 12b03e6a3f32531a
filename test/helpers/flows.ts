/** Builders for FlowRecords and a FlowFindingSink that keeps what it hears, for the flow analytics' tests. */
import type { FlowFindingSink } from '../../src/detect/flows/analysis.js';
import type { Exposure, FanOut, FlowRecord } from '../../src/model/flow.js';

/** A TCP flow from src to dst:443 (ephemeral source port) starting at `start`, one second long. */
export function flowRecord(start: number, src: string, dst: string, extra: Partial<FlowRecord> = {}): FlowRecord {
  return {
    start,
    end: start + 1,
    src,
    srcPort: 51000,
    dst,
    dstPort: 443,
    proto: 6,
    bytes: 1200,
    packets: 10,
    samplingRate: 1,
    exporter: 'test',
    position: `test:${start}`,
    ...extra,
  };
}

export interface KeptFindings extends FlowFindingSink {
  exposures: Exposure[];
  fanOuts: FanOut[];
}

export function keptFindings(): KeptFindings {
  const exposures: Exposure[] = [];
  const fanOuts: FanOut[] = [];
  return { exposures, fanOuts, exposure: (e) => exposures.push(e), fanOut: (f) => fanOuts.push(f) };
}
