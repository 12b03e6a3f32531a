import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { aResponse, bot, T0 } from '../../../test/helpers/observations.js';
import { defaultConfig } from '../../config/schema.js';
import type { DnsObservation } from '../../model/observation.js';
import { Detector } from '../detector.js';
import { sortLikeOneDetector, type FlushEntry, type FlushNames } from './flush-order.js';

/** 1,300 names under 260 registered domains, first seen in a stride over the domains. */
function lookups(): DnsObservation[] {
  const out: DnsObservation[] = [];
  for (let i = 0; i < 2_600; i++) {
    const site = (i * 7919) % 260;
    out.push(aResponse(T0 + i, `n${Math.floor(i / 260) % 5}.site${site}.com`, [bot(site * 4 + (i % 4)), bot(site * 4 + ((i + 1) % 4))], 60));
  }
  return out;
}

/** Detectors fed `parts` ways by registered domain (as detect/parallel routes); every flush entry, placed. */
function flushEntries(parts: number): Array<{ flush: FlushEntry; partition: number; seq: number }> {
  const config = defaultConfig();
  let at = 0;
  const items: Array<{ flush: FlushEntry; partition: number; seq: number }> = [];
  const tables: FlushNames[] = [];
  const detectors = Array.from({ length: parts }, (_, p) => {
    const table: FlushNames = { names: [], born: [] };
    tables.push(table);
    let seq = 0;
    return new Detector({
      config,
      enricher: octetEnricher,
      place: () => at,
      onFlushEntry: (group, key, born) => {
        items.push({ flush: { group, key, born }, partition: p, seq: seq++ });
        if (group === 0) {
          table.names.push(key);
          table.born.push(born);
        }
      },
    });
  });
  for (const obs of lookups()) {
    const site = Number(/site(\d+)/.exec(obs.qname)![1]);
    detectors[site % parts]!.observe(obs);
    at++;
  }
  for (const d of detectors) d.flush();
  return sortLikeOneDetector(items, tables);
}

describe('sortLikeOneDetector', () => {
  it('orders partitions\' flush entries as one detector flushes them (name slots after growth, then aggregates)', () => {
    const one = flushEntries(1).map((i) => `${i.flush.group} ${i.flush.key}`);
    expect(one).toHaveLength(1_300 + 260);
    for (const parts of [2, 3]) {
      const merged = flushEntries(parts).map((i) => `${i.flush.group} ${i.flush.key}`);
      expect(merged, `${parts} partitions`).toEqual(one);
    }
  });

  it('needs the replayed slots: by input index alone the names come out in another order', () => {
    const byBorn = [...flushEntries(1)].sort((a, b) => a.flush.group - b.flush.group || a.flush.born - b.flush.born);
    expect(byBorn.map((i) => i.flush.key)).not.toEqual(flushEntries(1).map((i) => i.flush.key));
  });
});
