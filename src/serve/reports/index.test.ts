/**
 * Transparency reports from a real SQLite store: the plain words, the
 * evidence, the exposures, the deny entry behind a block, the bounds; and
 * each format read back (CSV parsed as RFC 4180, HTML checked for escaping,
 * JSON's shape).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCKED_ADVICE, EXPOSED_ADVICE, MISTAKE_ADVICE_REPORT, phraseHtml, plainText, whyFlux } from '../../act/explain.js';
import { escapeName } from '../../dns/name-text.js';
import { CUSTOMERS, DENY_COMMENT, HOSTILE, seedStore, T0 } from '../../../test/helpers/report-store.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { asyncStore } from '../../store/store.js';
import { blockedPage, escapeHtml } from '../block-page/page.js';
import { csvField } from './csv.js';
import { buildReport, buildReportYielding, REPORT_CSP, renderReport, type ReportItem, type TransparencyReport } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-report-'));
const store = seedStore(join(dir, 'store.db'));
afterAll(() => store.close());

const acme = CUSTOMERS[0]!;
const DAY = { since: T0, until: T0 + 86_400 };
const NOW = new Date((T0 + 86_400 + 60) * 1000);
const report = await buildReport(asyncStore(store), acme, DAY, NOW);

function item(name: string, kind: ReportItem['kind']): ReportItem {
  const found = report.items.find((i) => i.name === escapeName(name) && i.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} item for ${name} in ${report.items.map((i) => `${i.kind} ${i.name}`).join(', ')}`);
  return found;
}

/** RFC 4180: records end in CRLF; a quoted field may hold commas, CR, LF and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && field === '') {
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
        else if (text[i] === '"') break;
        else if (i >= text.length) throw new Error('unterminated quote');
        else field += text[i++];
      }
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (c === '\n' || c === '\r' || c === '"') {
      throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
    } else {
      field += c;
      i++;
    }
  }
  expect(field).toBe('');
  expect(row).toEqual([]);
  return rows;
}

describe('buildReport', () => {
  it('names the customer, the period and the totals', async () => {
    expect(report.customer).toEqual({ id: 'acme', name: 'ACME <Ltd> & "Sons"', contact: 'soc@acme.example' });
    expect(report.period).toEqual({ since: '2026-11-30T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' });
    expect(report.generated).toBe(NOW.toISOString());
    // Stats of acme within the day only (globex's and the next day's are left out).
    expect(report.totals).toEqual({ queries: 1000, blocked: 5, logged: 1, blocked_names: 3, exposed_names: 1, logged_names: 1, clients_affected: 5 });
    expect(report.coverage).toEqual({ entries: 7, limit: 200_000, complete: true, oldest_read: '2026-11-30T00:01:40.000Z', names_not_listed: 0 });
  });

  it("lists only this customer's blocks, exposures and logged names in the period (never a pass)", () => {
    expect(report.items.map((i) => `${i.kind} ${i.name}`)).toEqual([
      'blocked login.evil.example',
      `blocked ${escapeName(HOSTILE)}`,
      'blocked bad.deny.example',
      'exposed login.evil.example',
      'logged cdn.evil.example',
    ]);
  });

  it('says what, when, how often and from how many devices', async () => {
    const login = item('login.evil.example', 'blocked');
    expect(login).toMatchObject({
      domain: 'evil.example',
      first: '2026-11-30T00:03:20.000Z',
      last: '2026-11-30T00:06:40.000Z',
      count: 3,
      devices: 2,
      devices_capped: false,
      device_list: ['192.0.2.7', '192.0.2.8'],
      actions: { nxdomain: 1, sinkhole: 2 },
      rule: 'verdict',
    });
  });

  it('says why in the block page words, with the verdict, its evidence and when it was recorded', async () => {
    const login = item('login.evil.example', 'blocked');
    expect(login.why).toBe(plainText(whyFlux('double')));
    expect(login.why).toContain('double fast flux');
    expect(login.verdict).toEqual({
      label: 'fast-flux',
      flux: 'double',
      score: 91,
      reasons: ['40 IPs in 12 ASNs across 9 countries', 'name servers rotate: 6 NS addresses in 5 ASNs', 'hostile <b>reason</b> "quoted"'],
      recorded: '2026-11-30T00:00:50.000Z',
      network: 'fn-3',
    });
    expect(login.basis).toEqual({ rule: 'verdict', verdict: 'fast-flux', recorded: '2026-11-30T00:00:50.000Z' });
    expect(login.evidence).toMatchObject({ ips: 40, asns: 12, countries: 9, name_servers: ['ns1.evil.example', 'ns2.evil.example'] });
    expect(login.evidence!.addresses.map((a) => [a.address, a.asn, a.known])).toEqual([
      ['203.0.113.5', 64500, false],
      ['198.18.0.9', 64501, false],
      ['192.0.2.200', 13335, true],
    ]);
    expect(login.evidence!.ns_addresses.map((a) => a.address)).toEqual(['203.0.113.53']);
    expect(login.advice).toEqual([...BLOCKED_ADVICE, MISTAKE_ADVICE_REPORT].map(plainText));
  });

  it("names the operator's deny entry behind a block: who, when and the comment", () => {
    const denied = item('bad.deny.example', 'blocked');
    expect(denied.domain).toBe('deny.example');
    expect(denied.basis).toEqual({ rule: 'denylist', comment: DENY_COMMENT, by: 'alice', at: '2026-11-29T23:00:00.000Z' });
    expect(denied.why).toContain('deny list');
    expect(denied.why).toContain(DENY_COMMENT);
    expect(denied.verdict).toBeNull();
    expect(denied.evidence).toBeNull();
  });

  it('tells the customer to check the devices that reached a name before it was blocked', async () => {
    const exposed = item('login.evil.example', 'exposed');
    expect(exposed).toMatchObject({ count: 1, devices: 1, device_list: ['192.0.2.9'], first: '2026-11-30T00:01:40.000Z' });
    expect(exposed.advice).toEqual(EXPOSED_ADVICE.map(plainText));
    expect(exposed.advice[0]).toMatch(/^Check these devices/);
    expect(item('cdn.evil.example', 'logged').advice[0]).toMatch(/^Check these devices/);
  });

  it('shares its words with the block page (one text, src/act/explain.ts)', async () => {
    const page = blockedPage('login.evil.example', flaggedVerdict('evil.example', { flux: 'double' }), NOW);
    expect(page).toContain(phraseHtml(whyFlux('double'), escapeHtml));
    for (const advice of BLOCKED_ADVICE) expect(page).toContain(phraseHtml(advice, escapeHtml));
  });

  it('reads at most the limit, newest first, and says so', async () => {
    const cut = await buildReport(asyncStore(store), acme, DAY, NOW, { maxEntries: 3, maxItems: 2, maxItemDevices: 1, pageSize: 2 });
    expect(cut.coverage).toEqual({ entries: 3, limit: 3, complete: false, oldest_read: '2026-11-30T00:08:20.000Z', names_not_listed: 1 });
    // Newest three: log cdn (700), sinkhole HOSTILE (600), nxdomain bad.deny (500): the third name is not listed.
    expect(cut.items.map((i) => i.name)).toEqual([escapeName(HOSTILE), 'cdn.evil.example']);
    expect(renderReport(cut, 'html').text).toContain('Only the newest 3 records were read');
    const one = await buildReport(asyncStore(store), acme, DAY, NOW, { maxEntries: 100, maxItems: 100, maxItemDevices: 1, pageSize: 1 });
    expect(one.coverage.complete).toBe(true);
    expect(one.items.find((i) => i.name === 'login.evil.example' && i.kind === 'blocked')).toMatchObject({ devices: 1, devices_capped: true, count: 3 });
  });

  it('reads the same report yielding between pages (for callers inside the daemon)', async () => {
    const limits = { maxEntries: 100, maxItems: 100, maxItemDevices: 100, pageSize: 2 };
    let other = false;
    const pending = buildReportYielding(asyncStore(store), acme, DAY, NOW, limits);
    // Queued after the build's first page: it runs before the build ends only if the build yields.
    setImmediate(() => (other = true));
    let otherRanFirst = false;
    const yielded = await pending.then((r) => ((otherRanFirst = other), r));
    expect(otherRanFirst).toBe(true);
    expect(yielded).toEqual(await buildReport(asyncStore(store), acme, DAY, NOW, limits));
  });

  it('refuses an empty period in one line', async () => {
    await expect(buildReport(asyncStore(store), acme, { since: T0, until: T0 }, NOW)).rejects.toThrow(/^report: the period is empty/);
  });

  it('gives a customer with nothing blocked an empty list', async () => {
    const quiet = await buildReport(asyncStore(store), { id: 'initech', name: 'Initech', contact: '', networks: ['10.0.0.0/8'] }, DAY, NOW);
    expect(quiet.items).toEqual([]);
    expect(quiet.totals.queries).toBe(0);
    expect(renderReport(quiet, 'html').text).toContain('Nothing was blocked for your devices in this period.');
  });
});

describe('renderReport', () => {
  it('json: stable field names, ISO times, parsed back equal', async () => {
    const out = renderReport(report, 'json');
    expect(out.type).toBe('application/json; charset=utf-8');
    const parsed = JSON.parse(out.text) as TransparencyReport;
    expect(parsed).toEqual(report);
    expect(Object.keys(parsed)).toEqual(['report', 'version', 'generated', 'customer', 'period', 'totals', 'coverage', 'items', 'connections']);
    expect(Object.keys(parsed.items[0]!)).toEqual([
      'name', 'domain', 'kind', 'first', 'last', 'count', 'devices', 'devices_capped', 'device_list', 'actions', 'rule', 'why', 'verdict', 'basis', 'evidence', 'advice',
    ]);
    for (const i of parsed.items) for (const t of [i.first, i.last]) expect(new Date(t).toISOString()).toBe(t);
    // Action counts in one order (QUERY_ACTIONS), whatever order the log listed them in.
    expect(Object.keys(parsed.items[0]!.actions)).toEqual(['nxdomain', 'sinkhole']);
  });

  it('csv: RFC 4180, one row per reported name, formulas neutralised', async () => {
    const out = renderReport(report, 'csv');
    expect(out.type).toMatch(/^text\/csv/);
    const rows = parseCsv(out.text);
    const [header, ...body] = rows;
    expect(header!.slice(0, 4)).toEqual(['customer', 'name', 'domain', 'kind']);
    expect(body).toHaveLength(report.items.length);
    for (const row of body) expect(row).toHaveLength(header!.length);
    const cell = (row: string[], column: string): string => row[header!.indexOf(column)]!;
    const hostile = body.find((r) => cell(r, 'name').includes('script'))!;
    // The spreadsheet sees text, not =1+1...
    expect(cell(hostile, 'name')).toBe(`'${escapeName(HOSTILE)}`);
    const denied = body.find((r) => cell(r, 'name') === 'bad.deny.example')!;
    expect(cell(denied, 'why')).toContain(DENY_COMMENT); // inside the sentence: quoted, not neutralised
    expect(cell(denied, 'denied_by')).toBe('alice');
    const login = body.find((r) => cell(r, 'name') === 'login.evil.example' && cell(r, 'kind') === 'blocked')!;
    expect(cell(login, 'count')).toBe('3');
    expect(cell(login, 'addresses')).toBe('203.0.113.5/AS64500 198.18.0.9/AS64501 192.0.2.200/AS13335');
    expect(cell(login, 'reasons')).toContain('hostile <b>reason</b> "quoted"');
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvField(`${start}SUM(A1)`)).toMatch(/^"?'/);
    expect(csvField('a,"b"\r\nc')).toBe('"a,""b""\r\nc"');
    expect(csvField(-3)).toBe('-3');
  });

  it('html: one self-contained page, every echoed value escaped', async () => {
    const out = renderReport(report, 'html');
    expect(out.type).toBe('text/html; charset=utf-8');
    const html = out.text;
    expect(html).not.toMatch(/<script|<img|<iframe|<link|<object|\bon\w+=|src=|href=/i);
    // The hostile name: the one rule, then HTML.
    expect(html).toContain(escapeHtml(escapeName(HOSTILE)));
    expect(html).not.toContain('<b>reason</b>');
    expect(html).toContain(escapeHtml('hostile <b>reason</b> "quoted"'));
    expect(html).toContain(escapeHtml('ACME <Ltd> & "Sons"'));
    expect(html).toContain(escapeHtml(DENY_COMMENT));
    // The block page's words, with their emphasis.
    expect(html).toContain('<em>double fast flux</em>');
    expect(html).toContain('<strong>Check these devices</strong>');
    // The inline stylesheet is pinned by hash, in the page and in REPORT_CSP.
    const style = /<style>(.*)<\/style>/s.exec(html)![1]!;
    expect(REPORT_CSP).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(REPORT_CSP).toContain("script-src 'none'");
    expect(html).toContain(`http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}"`);
    expect(style).toContain('@media print');
    // Times as people read them; the JSON keeps ISO 8601.
    expect(html).toContain('first 2026-11-30 00:03:20 UTC, last 2026-11-30 00:06:40 UTC');
    // Every tag in the page is one the renderer writes.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9!]+)/gi)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual(['!doctype', 'body', 'br', 'code', 'dd', 'dl', 'dt', 'em', 'h1', 'h2', 'h3', 'head', 'html', 'li', 'meta', 'p', 'section', 'span', 'strong', 'style', 'table', 'td', 'th', 'title', 'tr', 'ul']);
  });
});
