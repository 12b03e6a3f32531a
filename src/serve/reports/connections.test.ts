/**
 * "Hosts that connected to flux" in a transparency report, from flow
 * exposures written into a real SQLite store as the daemon writes them: the
 * counts per domain (bypass and inbound apart), only the customer's rows
 * and period, the bound on rows read, and each format (a hostile name
 * escaped by the one rule, then for HTML; CSV formulas neutralised).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeName } from '../../dns/name-text.js';
import type { Exposure } from '../../model/flow.js';
import { isoTime } from '../../model/verdict.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { asyncStore, emptyBatch } from '../../store/store.js';
import { CUSTOMERS, T0 } from '../../../test/helpers/report-store.js';
import { escapeHtml } from '../block-page/page.js';
import { connectionsOf } from './connections.js';
import { buildReport, renderReport } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-report-flows-'));
const store = new SqliteStore(join(dir, 'store.db'));
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const HOSTILE = '=1+1<b>x</b>\\000.flux.example';

function exposure(client: string, domain: string, at: number, over: Partial<Exposure> = {}): Exposure {
  return {
    record: 'exposure',
    client,
    customer: 'acme',
    address: '203.0.113.5',
    domain,
    network: 'fn-3',
    first: isoTime(at),
    last: isoTime(at + 60),
    flows: 2,
    bytes: 3000,
    packets: 20,
    sampled: false,
    direction: 'outbound',
    bypass: false,
    reason: `${client} connected to 203.0.113.5 (${domain}, fn-3) in 2 flows`,
    ...over,
  };
}

store.write({
  ...emptyBatch(),
  exposures: [
    exposure('192.0.2.7', 'login.evil.example', T0 + 100),
    exposure('192.0.2.8', 'login.evil.example', T0 + 200, { bypass: true, flows: 5, bytes: 9000, sampled: true }),
    exposure('192.0.2.9', 'login.evil.example', T0 + 300, { direction: 'inbound', flows: 1, bytes: 100 }),
    exposure('192.0.2.7', HOSTILE, T0 + 400, { bypass: true, network: null }),
    // Another customer's device, and one of acme's outside the period: neither is in acme's day.
    exposure('198.51.100.4', 'login.evil.example', T0 + 100, { customer: 'globex' }),
    exposure('192.0.2.50', 'login.evil.example', T0 + 2 * 86_400),
  ],
});

const acme = CUSTOMERS[0]!;
const DAY = { since: T0, until: T0 + 86_400 };
const report = await buildReport(asyncStore(store), acme, DAY, new Date((T0 + 86_400) * 1000));

describe('hosts that connected to flux', () => {
  it('counts devices per domain, bypass and inbound apart, for the customer and the period only', async () => {
    const c = report.connections;
    expect({ hosts: c.hosts, bypass: c.bypass, inbound: c.inbound, rows: c.rows, complete: c.complete }).toEqual({ hosts: 2, bypass: 2, inbound: 1, rows: 4, complete: true });
    expect(c.domains.map((d) => [d.domain, d.hosts, d.bypass, d.inbound, d.flows, d.bytes, d.sampled])).toEqual([
      ['login.evil.example', 2, 1, 1, 8, 12_100, true],
      [escapeName(HOSTILE), 1, 1, 0, 2, 3000, false],
    ]);
    expect(c.domains[0]).toMatchObject({ first: isoTime(T0 + 100), last: isoTime(T0 + 360), device_list: ['192.0.2.7', '192.0.2.8', '192.0.2.9'], network: 'fn-3' });
  });

  it('reads at most the rows it is given, and says so', async () => {
    const cut = await connectionsOf(asyncStore(store), 'acme', DAY, 2);
    expect({ rows: cut.rows, complete: cut.complete }).toEqual({ rows: 2, complete: false });
  });

  it('is in every format: JSON, CSV rows of kind connected, an HTML section', async () => {
    expect(JSON.parse(renderReport(report, 'json').text).connections).toEqual(report.connections);
    const csv = renderReport(report, 'csv').text.split('\r\n');
    const header = csv[0]!.split(',');
    const connected = csv.filter((line) => line.includes(',connected,'));
    expect(connected).toHaveLength(2);
    const login = connected.find((line) => line.includes('login.evil.example'))!.split(',');
    expect(login[header.indexOf('devices')]).toBe('3');
    expect(login[header.indexOf('bypass')]).toBe('1');
    expect(login[header.indexOf('rule')]).toBe('flow');
    // A name starting as a formula is text to a spreadsheet.
    expect(connected.some((line) => line.includes(`'${escapeName(HOSTILE)}`))).toBe(true);
    const html = renderReport(report, 'html').text;
    expect(html).toContain('<h2>Hosts that connected to flux</h2>');
    expect(html).toContain('2 of your devices exchanged traffic');
    expect(html).toContain(escapeHtml(escapeName(HOSTILE)));
    expect(html).not.toContain('<b>x</b>');
  });
});
