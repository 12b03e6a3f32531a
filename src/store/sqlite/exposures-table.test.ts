import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Exposure, FanOut } from '../../model/flow.js';
import { isoTime } from '../../model/verdict.js';
import { emptyBatch, type ExposureFilter } from '../store.js';
import { SqliteStore } from './sqlite-store.js';
import { SWEEP_CHUNK } from './query-log-table.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-exposures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_780_000_000;

function exposure(over: Partial<Exposure> & { at?: number } = {}): Exposure {
  const at = over.at ?? T0;
  const { at: _at, ...rest } = over;
  return {
    record: 'exposure',
    client: '192.0.2.7',
    customer: 'acme',
    address: '51.178.15.143',
    domain: 'login.evil-bank.com',
    network: 'fn-1',
    first: isoTime(at),
    last: isoTime(at + 30),
    flows: 3,
    bytes: 1200,
    packets: 12,
    sampled: false,
    direction: 'outbound',
    bypass: false,
    reason: '192.0.2.7 connected to 51.178.15.143 (login.evil-bank.com, fn-1) in 3 flows',
    ...rest,
  };
}

function fanOut(host: string, at: number): FanOut {
  return { record: 'fan-out', host, customer: 'acme', distinct: 250, flux: 3, window: 300, first: isoTime(at - 300), last: isoTime(at), flows: 400, reasons: ['250 distinct addresses in 5 min'] };
}

function open(name: string): SqliteStore {
  return new SqliteStore(join(dir, name));
}

/** Every page of a search, walked by cursor. */
function allPages(store: SqliteStore, filter: ExposureFilter, limit: number): Exposure[] {
  const out: Exposure[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page = store.exposures(filter, limit, cursor);
    out.push(...page.items);
    if (page.next === null) return out;
    cursor = page.next;
  }
  throw new Error('no last page');
}

describe('the exposures table', () => {
  it('keeps one row per client, domain and direction: a later write widens it and adds its increments', () => {
    const store = open('merge.db');
    store.write({ ...emptyBatch(), exposures: [exposure()] });
    // The same three again with more flows, later, from another flux address, a bypass; then an older, non-bypass one.
    store.write({ ...emptyBatch(), exposures: [exposure({ at: T0 + 600, flows: 9, bytes: 5000, packets: 40, address: '203.0.113.9', bypass: true, sampled: true, reason: 'bypass' })] });
    store.write({ ...emptyBatch(), exposures: [exposure({ at: T0 - 600, flows: 1, bytes: 10, packets: 1, reason: 'looked up' })] });
    // Inbound is another row.
    store.write({ ...emptyBatch(), exposures: [exposure({ direction: 'inbound', flows: 2 })] });
    const rows = store.exposures({}, 10).items;
    expect(rows).toHaveLength(2);
    const outbound = rows.find((r) => r.direction === 'outbound')!;
    // Exact sums (3 + 9 + 1 flows); bypass stays once seen, with its account.
    expect(outbound).toMatchObject({ first: isoTime(T0 - 600), last: isoTime(T0 + 630), flows: 13, bytes: 6210, packets: 53, sampled: true, bypass: true, reason: 'bypass', address: '51.178.15.143' });
    expect(rows.find((r) => r.direction === 'inbound')).toMatchObject({ flows: 2, bypass: false });
    store.close();
  });

  it('searches by client (address or CIDR), customer, domain subtree, bypass and time, newest first, page by page', () => {
    const store = open('search.db');
    const all: Exposure[] = [];
    for (let i = 0; i < 60; i++) {
      all.push(
        exposure({
          at: T0 + i * 60,
          client: i % 3 === 0 ? `2001:db8::${i.toString(16)}` : `192.0.2.${i}`,
          customer: i % 4 === 0 ? null : i % 2 === 0 ? 'acme' : 'beta',
          domain: i % 5 === 0 ? `x${i}.pay.evil-bank.net` : 'login.evil-bank.com',
          bypass: i % 7 === 0,
        }),
      );
    }
    store.write({ ...emptyBatch(), exposures: all });
    const oracle = (keep: (e: Exposure) => boolean): string[] => all.filter(keep).sort((a, b) => Date.parse(b.last) - Date.parse(a.last)).map((e) => e.client);
    const cases: Array<[ExposureFilter, (e: Exposure) => boolean]> = [
      [{}, () => true],
      [{ client: '192.0.2.10' }, (e) => e.client === '192.0.2.10'],
      [{ client: '192.0.2.0/28' }, (e) => /^192\.0\.2\.(\d|1[0-5])$/.test(e.client)],
      [{ client: '2001:db8::/32' }, (e) => e.client.includes(':')],
      [{ customer: 'beta' }, (e) => e.customer === 'beta'],
      [{ customer: '' }, (e) => e.customer === null],
      [{ domain: 'evil-bank.net' }, (e) => e.domain.endsWith('.evil-bank.net')],
      [{ domain: 'login.evil-bank.com', customer: 'acme' }, (e) => e.domain === 'login.evil-bank.com' && e.customer === 'acme'],
      [{ bypass: true }, (e) => e.bypass],
      [{ bypass: false, customer: 'acme' }, (e) => !e.bypass && e.customer === 'acme'],
      // Rows whose [first, last] meets [since, until).
      [{ since: T0 + 1200, until: T0 + 2400 }, (e) => Date.parse(e.last) / 1000 >= T0 + 1200 && Date.parse(e.first) / 1000 < T0 + 2400],
    ];
    for (const [filter, keep] of cases) {
      expect(allPages(store, filter, 7).map((e) => e.client), JSON.stringify(filter)).toEqual(oracle(keep));
    }
    expect(() => store.exposures({}, 5, 'not-a-cursor!')).toThrow(/cursor/);
    expect(() => store.exposures({ client: 'evil.example' }, 5)).toThrow(/not an address/);
    store.close();
  });

  it('keeps fan-outs, searched by host and customer, newest first', () => {
    const store = open('fanout.db');
    store.write({ ...emptyBatch(), fanOuts: [fanOut('192.0.2.7', T0), fanOut('192.0.2.8', T0 + 60), fanOut('198.51.100.1', T0 + 120)] });
    expect(store.fanOuts({}, 10).map((f) => f.host)).toEqual(['198.51.100.1', '192.0.2.8', '192.0.2.7']);
    expect(store.fanOuts({ host: '192.0.2.0/24' }, 1).map((f) => f.host)).toEqual(['192.0.2.8']);
    expect(store.fanOuts({ since: T0 + 60, until: T0 + 120 }, 10).map((f) => f.host)).toEqual(['192.0.2.8']);
    expect(store.fanOuts({}, 10)[0]).toEqual(fanOut('198.51.100.1', T0 + 120));
    // The rows metric (fluxhound_store_rows{table}) reads these counts.
    store.write({ ...emptyBatch(), exposures: [exposure(), exposure({ direction: 'inbound' }), exposure()] });
    expect(store.counts()).toMatchObject({ exposures: 2, fanOuts: 3 });
    store.close();
  });

  it('skips a finding whose time is not a time, not the batch; the query-log sweep takes old rows in chunks', () => {
    const store = open('sweep.db');
    const old = Array.from({ length: SWEEP_CHUNK + 10 }, (_, i) => exposure({ at: T0, client: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
    store.write({ ...emptyBatch(), exposures: [...old, exposure({ first: 'yesterday' }), exposure({ at: T0 + 86_400, client: '192.0.2.99' })], fanOuts: [fanOut('192.0.2.7', T0), fanOut('192.0.2.9', T0 + 86_400)] });
    expect(store.skippedFindings).toBe(1);
    expect(store.sweepQueryLogChunk(T0 + 3600)).toBe(SWEEP_CHUNK);
    expect(store.sweepQueryLog(T0 + 3600)).toBe(11);
    expect(store.exposures({}, 10).items.map((e) => e.client)).toEqual(['192.0.2.99']);
    expect(store.fanOuts({}, 10).map((f) => f.host)).toEqual(['192.0.2.9']);
    store.close();
  });
});
