/**
 * A name a threat-intelligence feed listed in a transparency report: the
 * query log's rule 'intel' and its reason (feed and entry) reach the item's
 * verdict, from a real SQLite store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CUSTOMERS, entry, T0 } from '../../../test/helpers/report-store.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { asyncStore, emptyBatch } from '../../store/store.js';
import { buildReport } from './index.js';

describe('a feed listing in a report', () => {
  it("keeps the rule 'intel' and the reason naming the feed and the entry", async () => {
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'fluxhound-report-intel-')), 'store.db'));
    try {
      const reason = 'listed-flux.test (above www.listed-flux.test) listed by intel feed partner-a (entry partner-a.txt:3, confidence 80)';
      store.write({
        ...emptyBatch(),
        queries: [entry(T0 + 100, '192.0.2.7', 'acme', 'www.listed-flux.test', 'nxdomain', { domain: 'listed-flux.test', score: 80, rule: 'intel', reason })],
        stats: [{ ts: T0, customer: 'acme', queries: 10, blocked: 1, logged: 0 }],
      });
      const report = await buildReport(asyncStore(store), CUSTOMERS[0]!, { since: T0, until: T0 + 86_400 }, new Date((T0 + 86_400) * 1000));
      expect(report.items).toHaveLength(1);
      expect(report.items[0]).toMatchObject({ kind: 'blocked', name: 'www.listed-flux.test', domain: 'listed-flux.test', rule: 'intel' });
      expect(report.items[0]!.verdict).toMatchObject({ label: 'fast-flux', score: 80, reasons: [reason] });
    } finally {
      store.close();
    }
  });
});
