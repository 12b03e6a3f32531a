/** The flow lines of the run summary: one line when flows were read, and a line for each kind of flow the analysis could not use, only when non-zero. */
import { describe, expect, it } from 'vitest';
import type { FlowSummary } from '../analyze.js';
import fc from 'fast-check';
import { flowLines, formatCount } from './summary.js';

const read: FlowSummary = { records: 1337, skipped: 2, exposures: 278, bypass: 27, inbound: 2, fanOuts: 1, late: 0, invalid: 0, unattributed: 0, bypassUnknown: 0 };
const FIRST = 'flows: read 1,337 flow records, skipped 2; 278 exposures to flux hosts (27 DNS bypass, 2 inbound); 1 fan-out host';

describe('flowLines', () => {
  it('says nothing for a run without flows, one line when nothing was lost', () => {
    expect(flowLines({ ...read, records: 0, skipped: 0 })).toEqual([]);
    expect(flowLines(read)).toEqual([FIRST]);
  });

  it('says when a DNS bypass could not be proven, only then', () => {
    expect(flowLines({ ...read, bypassUnknown: 7 })).toEqual([
      FIRST,
      "  DNS bypass unproven: 7 exposures whose hosts' lookups no longer fit in memory (flows.limits.maxClientEntries): reported as no bypass",
    ]);
  });

  it('names late, invalid and unattributed flows only when there are some', () => {
    expect(flowLines({ ...read, late: 15 })).toEqual([FIRST, '  flows dropped: 15 late (far behind the newest flow: give flow files in time order)']);
    expect(flowLines({ ...read, invalid: 3 })).toEqual([FIRST, '  flows dropped: 3 with impossible times or counts']);
    expect(flowLines({ ...read, late: 1500, invalid: 3, unattributed: 4200 })).toEqual([
      FIRST,
      '  flows dropped: 1,500 late (far behind the newest flow: give flow files in time order), 3 with impossible times or counts',
      '  flows in no exposure: 4,200 to or from flux hosts before the verdict, from clients past flows.limits.maxClientsPerAddress (counted in the flow evidence)',
    ]);
  });
});

describe('formatCount', () => {
  it("writes any number as toLocaleString('en-US') does", () => {
    for (const x of [0, 7, -7, 999, 1000, -1000, 999_999, 1_000_000, 123_456_789, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1.5, 2 ** 60, NaN]) {
      expect(formatCount(x)).toBe(x.toLocaleString('en-US'));
    }
    fc.assert(fc.property(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), (x) => formatCount(x) === x.toLocaleString('en-US')));
  });
});
