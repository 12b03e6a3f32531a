/**
 * The web console end to end, with real parts only: `fluxhound serve` as a
 * real process (the forwarder on --dns, the listener on --http with an
 * --api-tokens file, a SQLite --store), a real authoritative server whose
 * flux names rotate across residential networks (test/support/flux-authority.ts),
 * live DNS queries from this test, and Debian's Chromium driven by
 * playwright-core. An operator signs in with an admin token, watches a flux
 * name appear in the flagged list, opens its explanation, allowlists it with
 * a comment, and the forwarder answers it again. A hostile name (labels with
 * <script>, <img onerror>, quotes, & and backslash escapes) is flagged too
 * and must read literally in every view with nothing run. A read token sees
 * no admin buttons; a phone-sized viewport renders without overflow. Flow
 * exposures and a verdict with flow evidence, written into the store before
 * the daemon starts, show in the exposures view and on the domain page.
 * Screenshots go to test-artifacts/console/; UPDATE_SCREENSHOTS=1 also
 * refreshes docs/console-overview.png and docs/console-domain.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Exposure } from '../../src/model/flow.js';
import { isoTime } from '../../src/model/verdict.js';
import { CONSOLE_CSP } from '../../src/serve/http/console.js';
import { emptyBatch } from '../../src/store/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { flaggedVerdict } from '../helpers/verdicts.js';
import { findBinary } from '../support/binaries.js';
import { CLI, requireBuilt, ROOT } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';
import { queryUdp } from '../support/dns-query.js';
import { FluxAuthority } from '../support/flux-authority.js';

const FLUX = 'www.rotaflux.test';
/** As asked on the wire: every byte below is a label byte (no dot inside a label). */
// A '/' in a label too: percent-encoded, it stays inside its API path segment.
const HOSTILE_WIRE = `<img src=x onerror=alert(1)>.<script>alert(2)</script>.a"b'c&amp;d\\e.evilflux.test`;
const ADMIN = 'admin-token-5f1c9e2a7b3d4c6e8f90a1b2';
const READ = 'read-token-0d9c8b7a6f5e4d3c2b1a0f9e';
const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1';

const browserBinary = findBinary('chromium', 'chromium');

/** A name with flow evidence in its (stored) verdict, and a hostile name in the one escaping rule, as the store holds exposures. */
const FLOWED = 'www.flowflux.test';
const HOSTILE_EXPOSED = '<script>alert\\0403\\041</script>.<img\\032src=x\\032onerror=alert\\0404\\041>.evilflux.test';

/**
 * Flow findings in the store before the daemon starts (the real SQLite file
 * it then serves): three exposures (one a DNS bypass, one of a hostile name)
 * and a verdict with Verdict.flows, as `serve --flows` would have written them.
 */
function seedFlowFindings(path: string): void {
  const t = Math.floor(Date.now() / 1000) - 3600;
  const exposure = (over: Partial<Exposure>): Exposure => ({
    record: 'exposure', client: '127.0.0.7', customer: 'acme', address: '198.51.100.7', domain: FLUX, network: 'fn-1', first: isoTime(t), last: isoTime(t + 30),
    flows: 3, bytes: 1_200_000, packets: 900, sampled: false, direction: 'outbound', bypass: false, reason: 'seeded', ...over,
  });
  const store = new SqliteStore(path);
  const verdict = { ...flaggedVerdict(FLOWED, { addresses: ['198.51.100.9'] }), flows: { addresses: 6, clients: 12, inbound: 5, flows: 41, window: 3600 } };
  store.write({
    ...emptyBatch(),
    verdicts: [{ ts: t, verdict }],
    exposures: [
      exposure({}),
      exposure({ client: '127.0.0.8', address: '198.51.100.8', bypass: true, flows: 1, bytes: 5529, first: isoTime(t + 60), last: isoTime(t + 62) }),
      exposure({ client: '10.9.0.1', customer: null, domain: HOSTILE_EXPOSED, address: '203.0.113.5', direction: 'inbound', bytes: 300, first: isoTime(t + 120), last: isoTime(t + 121) }),
    ],
  });
  store.close();
}

interface Answer {
  rcode: number;
  addresses: number;
}

/** One A query to the forwarder, as a client asks. */
async function query(port: number, name: string): Promise<Answer> {
  const decoded = await queryUdp(port, name, { id: 777, timeoutMs: 3_000 });
  return { rcode: (decoded.flags ?? -1) & 15, addresses: (decoded.answers ?? []).filter((a) => a.type === 'A').length };
}

describe.skipIf(browserBinary.missing !== null)('the web console in Chromium', () => {
  let dir = '';
  let fluxhound: Daemon | null = null;
  let browser: Browser | null = null;
  let base = '';
  let dnsPort = 0;
  const authority = new FluxAuthority({ origin: 'test', flux: [FLUX, HOSTILE_WIRE], benign: { 'www.plain.test': ['192.0.2.10'] } });
  /** The hostile name as fluxhound writes it (the one escaping rule), read from the API. */
  let hostile = '';
  /** What went wrong in any page: dialogs opened, console errors, uncaught exceptions. */
  const incidents: string[] = [];

  async function apiGet<T>(path: string, token = ADMIN): Promise<{ status: number; body: T }> {
    const response = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function watched(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      incidents.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('console', (m) => {
      // A refused request (401 for a bad token, 404 for an unknown name) logs "Failed to load resource": not a script error.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) incidents.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (err) => incidents.push(`page error: ${err.message}`));
    return page;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${base}/`);
    await page.locator('input[name="token"]').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('main h1', { hasText: 'Overview' }).waitFor();
  }

  /** Does `action` (a navigation), then waits until the console has drawn the view it leads to. */
  async function rendered(page: Page, action: () => Promise<unknown>): Promise<void> {
    const before = Number(await page.evaluate("document.querySelector('main')?.getAttribute('data-generation') ?? 0"));
    await action();
    // Polled from here: page.waitForFunction would evaluate a string in the page, which the console's CSP refuses (no eval).
    await waitFor('the view drawn', async () =>
      page.evaluate(`(() => {
        const main = document.querySelector('main');
        return main !== null && Number(main.getAttribute('data-generation') ?? 0) > ${before} && main.getAttribute('aria-busy') === null;
      })()`),
    10_000, 50);
  }

  /** Re-renders the current view (as the views do after a change). */
  async function refresh(page: Page): Promise<void> {
    await rendered(page, () => page.evaluate("window.dispatchEvent(new HashChangeEvent('hashchange'))"));
  }

  async function go(page: Page, hash: string): Promise<void> {
    if ((await page.evaluate('location.hash')) === hash) return refresh(page);
    await rendered(page, () => page.evaluate(`location.hash = ${JSON.stringify(hash)}`));
  }

  async function shot(page: Page, name: string): Promise<string> {
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  }

  beforeAll(async () => {
    requireBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-console-'));
    await authority.start();
    dnsPort = await freePort();
    const httpPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    writeFileSync(join(dir, 'tokens'), `# TOKEN ROLE NAME\n${ADMIN} admin alice\n${READ} read bob\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'fluxhound.yaml'),
      [
        'policy:',
        '  fastFlux: nxdomain',
        '  suspicious: nxdomain',
        'customers:',
        '  - id: acme',
        '    name: ACME Ltd',
        '    contact: soc@acme.example',
        '    networks: [127.0.0.0/8]',
        'serve:',
        '  querylog:',
        '    sample: 1',
        '',
      ].join('\n'),
    );
    seedFlowFindings(join(dir, 'tmp.db'));
    const args = [CLI, 'serve', '-c', join(dir, 'fluxhound.yaml'), '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${authority.port}`];
    args.push('--http', `127.0.0.1:${httpPort}`, '--api-tokens', join(dir, 'tokens'), '--store', join(dir, 'tmp.db'), '--rate-limit', '0', '--no-flags');
    fluxhound = startDaemon(process.execPath, args, { cwd: dir });
    await waitFor('the API to answer whoami', async () => (await apiGet<{ name: string }>('/api/v1/whoami')).body.name === 'alice', 30_000, 200);
    browser = await chromium.launch({ executablePath: browserBinary.path!, headless: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await fluxhound?.stop();
    await authority.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    if (fluxhound !== null && incidents.length > 0) console.log(fluxhound.output().slice(-4000));
  }, 30_000);

  beforeEach(() => {
    incidents.length = 0;
  });

  it('serves the console without a token, with its content type, a strong ETag and the strict CSP', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(index.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(await index.text()).toContain('<script type="module" src="/main.js">');
    const script = await fetch(`${base}/main.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${base}/api/v1/whoami`)).status).toBe(401);
  });

  it('signs in with an admin token and shows who it is', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await watched(context);
    await page.goto(`${base}/#/flagged`);
    // No token yet: the login view, whatever was asked for.
    await page.locator('input[name="token"]').waitFor();
    expect(page.url()).toMatch(/#\/login$/);
    await page.locator('input[name="token"]').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was refused.').waitFor();
    // By keyboard alone: the token field, then Enter.
    await page.locator('input[name="token"]').fill(ADMIN);
    await page.locator('input[name="token"]').press('Enter');
    await page.locator('main h1', { hasText: 'Overview' }).waitFor();
    expect(await page.locator('.who-name').textContent()).toBe('alice');
    // The new view has the focus: the next Tab reaches its first control.
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate("document.querySelector('main').contains(document.activeElement) && document.activeElement !== document.querySelector('main')")).toBe(true);
    // On a fresh load the first Tab lands on the skip link; Enter on it moves the focus to the content.
    await page.reload();
    await page.locator('main h1', { hasText: 'Overview' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.className')).toBe('skip');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    expect(await page.locator('.who .badge').textContent()).toBe('admin');
    expect(await page.evaluate("sessionStorage.getItem('fluxhound.token')")).toBe('admin-token-5f1c9e2a7b3d4c6e8f90a1b2');
    await context.close();
  });

  it('watches a flux name flagged from live traffic, explains it, allowlists it, and the resolver answers it again', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await watched(context);
    await signIn(page, ADMIN);
    await go(page, '#/flagged');
    expect(await page.locator('main a.name', { hasText: FLUX }).count()).toBe(0);

    // Live traffic until the flagged list shows the name (each round: one query per name, then a re-render).
    await waitFor(
      `${FLUX} in the flagged list`,
      async () => {
        await query(dnsPort, FLUX).catch(() => null);
        await query(dnsPort, HOSTILE_WIRE).catch(() => null);
        await refresh(page);
        return (await page.locator('main a.name', { hasText: FLUX }).count()) > 0;
      },
      60_000,
      300,
    );
    await shot(page, 'flagged');
    // Flagged, hence blocked: NXDOMAIN under the policy of this test.
    await waitFor(`${FLUX} blocked`, async () => (await query(dnsPort, FLUX)).rcode === 3, 10_000);

    await rendered(page, () => page.locator('main a.name', { hasText: FLUX }).first().click());
    expect(await page.locator('h1.domain-name code').textContent()).toBe(FLUX);
    const api = await apiGet<{ verdict: { reasons: string[]; score: number } }>(`/api/v1/domains/${encodeURIComponent(FLUX)}`);
    const reasons = await page.locator('ol.reasons li').allTextContents();
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons).toEqual(api.body.verdict.reasons);
    expect(await page.locator('.score').textContent()).toBe(`${api.body.verdict.score.toFixed(0)} / 100`);
    expect(await page.locator('.status-line').textContent()).toContain('blocked');
    await shot(page, 'domain');
    if (SHOTS) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'docs', 'console-domain.png') });
      expect(statSync(join(ROOT, 'docs', 'console-domain.png')).size).toBeLessThan(200_000);
    }

    // Allowlist it from the UI, with a comment.
    const form = page.locator('form.list-action', { has: page.locator('button[data-action="allow.add"]') });
    await form.locator('input[name="comment"]').fill('false positive: our own test rotation');
    await form.locator('button').click();
    await page.locator('.status-line .badge-allow').waitFor();
    // The forwarder follows: a real answer again, with addresses.
    const answered = await waitFor(`${FLUX} answered again`, async () => {
      const answer = await query(dnsPort, FLUX);
      return answer.rcode === 0 && answer.addresses > 0 ? answer : undefined;
    }, 10_000, 100);
    expect(answered.addresses).toBeGreaterThan(0);

    // The audit trail and the allowlist say who, what and why.
    await go(page, '#/audit');
    const row = page.locator('main tbody tr', { hasText: FLUX });
    expect(await row.textContent()).toContain('alice');
    expect(await row.textContent()).toContain('allow.add');
    expect(await row.textContent()).toContain('false positive: our own test rotation');
    await go(page, '#/allowlist');
    expect(await page.locator('main tbody tr', { hasText: FLUX }).textContent()).toContain('false positive: our own test rotation');
    await shot(page, 'allowlist');

    // The overview draws the traffic it saw.
    await go(page, '#/');
    expect(await page.locator('figure.chart svg polyline').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('.card-value .badge').first().textContent()).toMatch(/ok|unhealthy/);
    const overviewShot = await shot(page, 'overview');
    if (SHOTS) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'docs', 'console-overview.png') });
      expect(statSync(join(ROOT, 'docs', 'console-overview.png')).size).toBeLessThan(200_000);
    }
    expect(statSync(overviewShot).size).toBeGreaterThan(0);
    expect(incidents).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows the hostile name literally in every view, and runs nothing of it', async () => {
    const flagged = await waitFor('the hostile name flagged', async () => {
      await query(dnsPort, HOSTILE_WIRE).catch(() => null);
      const { body } = await apiGet<{ items: { domain: string }[] }>('/api/v1/flagged?q=evilflux');
      return body.items.find((i) => i.domain.includes('evilflux'))?.domain;
    }, 60_000, 300);
    hostile = flagged;
    // The one escaping rule keeps < > = ' & as they are and writes ( ) " ; \ and space as \DDD.
    expect(hostile).toContain('<img\\032src=x\\032onerror=alert\\0401\\041>.<script>alert\\0402\\041</script>.a\\034b');
    expect(hostile).toContain('a\\034b\'c&amp\\059d\\092e');

    const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await watched(context);
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (directive: string) => violations.push(directive));
    await page.addInitScript("document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.effectiveDirective))");
    await signIn(page, ADMIN);
    const literal = async (where: string, selector: string) => {
      const texts = await page.locator(selector).allTextContents();
      expect(texts, `${where}: ${selector}`).toContain(hostile);
    };
    const nothingRan = async (where: string) => {
      // One script element (the console's module); no image, iframe or object made of the name.
      expect(await page.locator('script').count(), where).toBe(1);
      expect(await page.locator('img, iframe, object, embed').count(), where).toBe(0);
    };

    await go(page, `#/flagged?q=evilflux`);
    await literal('flagged list', 'main a.name');
    await nothingRan('flagged list');
    await go(page, `#/domain/${encodeURIComponent(hostile)}`);
    await literal('domain page', 'h1.domain-name code');
    await nothingRan('domain page');
    await shot(page, 'hostile-domain');
    // Blocklist it from its page: it then shows on the blocklist and in the audit trail too.
    const form = page.locator('form.list-action', { has: page.locator('button[data-action="deny.add"]') });
    await form.locator('input[name="comment"]').fill('<b>hostile</b> & "quoted"');
    await form.locator('button').click();
    await page.locator('.status-line .badge-deny').waitFor();
    expect(await page.locator('main .message-info').first().textContent()).toContain('<b>hostile</b> & "quoted"');
    await go(page, `#/querylog?name=${encodeURIComponent(hostile)}`);
    await literal('query log', 'main tbody a.name');
    await nothingRan('query log');
    await shot(page, 'querylog');
    await go(page, '#/blocklist');
    await literal('blocklist', 'main tbody a.name');
    await go(page, '#/audit');
    await literal('audit trail', 'main tbody a.name');
    await nothingRan('audit trail');
    await go(page, '#/customer/acme');
    await nothingRan('customer page');
    expect(await page.locator('main h1').textContent()).toBe('Customer ACME Ltd');
    await shot(page, 'customer');
    // Its transparency report, fetched with the token and handed over as a download.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.reports li').first().getByRole('button', { name: 'JSON' }).click()]);
    expect(download.suggestedFilename()).toBe('fluxhound-report-acme.json');
    const saved = join(dir, 'report.json');
    await download.saveAs(saved);
    expect(JSON.stringify(JSON.parse(readFileSync(saved, 'utf8')))).toContain(JSON.stringify(hostile).slice(1, -1));
    const network = (await apiGet<{ verdict: { network: string | null } | null }>(`/api/v1/domains/${encodeURIComponent(hostile)}`)).body.verdict?.network ?? null;
    if (network !== null) {
      await go(page, `#/network/${encodeURIComponent(network)}`);
      await nothingRan('network page');
    }

    expect(incidents).toEqual([]);

    // The CSP itself refuses an inline script, should anything ever slip through (its header also refuses eval: console.test.ts).
    const inline = await page.evaluate(`(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.appendChild(script);
      return window.inlineRan === true;
    })()`);
    expect(inline).toBe(false);
    await waitFor('the CSP violation report', () => violations.includes('script-src-elem'), 5_000);
    await context.close();
  }, 120_000);

  it('lists flow exposures with filters, names literal; a domain page shows its exposures and its flow evidence', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await watched(context);
    await signIn(page, READ);
    await rendered(page, () => page.locator('.site-nav a', { hasText: 'Exposures' }).click());
    expect(await page.locator('main h1').textContent()).toBe('Exposures');
    expect(await page.locator('main thead th').allTextContents()).toEqual(['Client', 'Customer', 'Domain', 'Address', 'Direction', 'Bypass', 'First', 'Last', 'Flows', 'Bytes']);
    // Most recent last flow first.
    const clients = async () => page.locator('main tbody tr td:first-child').allTextContents();
    expect(await clients()).toEqual(['10.9.0.1', '127.0.0.8', '127.0.0.7']);
    expect(await page.locator('main tbody tr', { hasText: '127.0.0.8' }).locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['127.0.0.8', 'acme', FLUX, '198.51.100.8', 'outbound', 'DNS bypass', '1', '5.5 kB']),
    );
    expect(await page.locator('main tbody tr', { hasText: '127.0.0.7' }).textContent()).toContain('1.2 MB');
    // The hostile name reads literally and runs nothing.
    expect(await page.locator('main tbody a.name').allTextContents()).toContain(HOSTILE_EXPOSED);
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('img, iframe, object, embed').count()).toBe(0);
    await shot(page, 'exposures');

    // The filter form: a domain subtree and DNS bypass only.
    await page.locator('form.filters input[name="domain"]').fill('rotaflux.test');
    await page.locator('form.filters select[name="bypass"]').selectOption('true');
    await rendered(page, () => page.getByRole('button', { name: 'Search' }).click());
    expect(await page.evaluate('location.hash')).toBe('#/exposures?domain=rotaflux.test&bypass=true');
    expect(await clients()).toEqual(['127.0.0.8']);
    await go(page, '#/exposures?client=10.0.0.0%2F8');
    expect(await clients()).toEqual(['10.9.0.1']);
    expect(await page.locator('main tbody td', { hasText: 'inbound' }).count()).toBe(1);
    await go(page, '#/exposures?bypass=false&customer=acme');
    expect(await clients()).toEqual(['127.0.0.7']);

    // The domain page: how many exposures, a link to them.
    await go(page, `#/domain/${encodeURIComponent(FLUX)}`);
    expect(await page.locator('.exposures-count').textContent()).toBe('2 exposures: clients whose flows reached or came from its addresses, 1 without a DNS lookup (DNS bypass). List them →');
    await rendered(page, () => page.locator('.exposures-count a').click());
    expect(await clients()).toEqual(['127.0.0.8', '127.0.0.7']);
    // A verdict with flow evidence (Verdict.flows) says it in words; no exposures stored for it.
    await go(page, `#/domain/${encodeURIComponent(FLOWED)}`);
    const evidence = page.locator('dl.facts dt', { hasText: 'Flow evidence' }).locator('xpath=following-sibling::dd[1]');
    expect(await evidence.textContent()).toBe('6 of its addresses took connections from 12 clients and connected in to 5 of our hosts in 1 h (41 flows)');
    expect(await page.locator('.exposures-count').textContent()).toBe('No client connected to it (no flow exposures stored).');
    await shot(page, 'domain-flows');
    expect(incidents).toEqual([]);
    await context.close();
  }, 60_000);

  it('gives a read token no admin buttons, and the API refuses it anyway', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await watched(context);
    await signIn(page, READ);
    expect(await page.locator('.who .badge').textContent()).toBe('read');
    await go(page, `#/domain/${encodeURIComponent(FLUX)}`);
    expect(await page.locator('ol.reasons li').count()).toBeGreaterThan(0);
    expect(await page.locator('form.list-action, button[data-action]').count()).toBe(0);
    await go(page, '#/allowlist');
    expect(await page.locator('main tbody tr', { hasText: FLUX }).count()).toBe(1);
    expect(await page.locator('form.list-action, button[data-action]').count()).toBe(0);
    expect(await page.getByText('Read-only token').count()).toBe(1);
    const refused = await page.evaluate(`(async () => {
      const token = sessionStorage.getItem('fluxhound.token') ?? '';
      const r = await fetch('/api/v1/allowlist', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x.example', comment: 'no' }) });
      return r.status;
    })()`);
    expect(refused).toBe(403);
    // A label may hold '/': the API path carries it percent-encoded; a name never seen is 'nothing known', shown literally.
    await go(page, `#/domain/${encodeURIComponent('</b>.evilflux.test')}`);
    // Never looked up, it is 'nothing known' or (its registered domain flagged by now) a page saying what blocks it: either way literal.
    await page.locator('main code.name').first().waitFor();
    expect(await page.locator('main code.name').first().textContent()).toBe('</b>.evilflux.test');
    expect(await page.locator('main').textContent()).not.toContain('not a domain name');
    await context.close();
  }, 60_000);

  it('renders on a 390 px phone: the menu folds, nothing overflows sideways', async () => {
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await watched(context);
    await signIn(page, ADMIN);
    await go(page, '#/');
    const overflow = async () => {
      const over = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
      // Name what sticks out, so a failure says where.
      if (over > 0) console.log('wider than the phone:', await page.evaluate(`[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 391).slice(0, 8).map((e) => e.tagName + '.' + e.className).join(' | ')`));
      return over;
    };
    expect(await overflow()).toBeLessThanOrEqual(0);
    expect(await page.locator('.site-nav').isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).click();
    expect(await page.locator('.site-nav').isVisible()).toBe(true);
    await shot(page, 'phone-overview');
    await rendered(page, () => page.locator('.site-nav a', { hasText: 'Flagged' }).click());
    expect(page.url()).toMatch(/#\/flagged$/);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await go(page, `#/domain/${encodeURIComponent(hostile === '' ? FLUX : hostile)}`);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot(page, 'phone-domain');
    // The exposures table (ten columns, whole addresses) scrolls inside its box, not the page.
    await go(page, '#/exposures');
    expect(await page.locator('main tbody tr').count()).toBe(3);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot(page, 'phone-exposures');
    expect(incidents).toEqual([]);
    await context.close();
  }, 60_000);

  it('keeps the pure parts honest in the browser: hash routes and the bounded network graph', async () => {
    const context = await browser!.newContext();
    const page = await watched(context);
    await page.goto(`${base}/`);
    // A string, not a function: the test runner rewrites import() in this file's functions, the browser must not see that.
    const result = (await page.evaluate(`(async () => {
      const router = await import('/router.js');
      const graph = await import('/graph.js');
      const route = router.parseHash('#/domain/a%2Fb.test?x=1');
      const domains = Array.from({ length: 500 }, (_, i) => 'n' + i + '.test');
      const addresses = Array.from({ length: 900 }, (_, i) => ({ address: '10.0.' + (i >> 8) + '.' + (i & 255), asn: 64500 + (i % 40), country: null }));
      const edges = addresses.map((a, i) => ({ domain: domains[i % 500], address: a.address }));
      const l = graph.layout({ id: 'fn-1', domains, addresses, edges });
      // Drawn for real, with a hostile name among the names: a text node, never markup.
      domains[0] = '<svg\\\\032onload=alert\\\\0401\\\\041>.evil.test';
      edges[0].domain = domains[0];
      const figure = graph.networkGraph({ id: 'fn-1', domains, addresses, edges });
      document.body.appendChild(figure);
      const drawn = { names: figure.querySelectorAll('a.node-name').length, addresses: figure.querySelectorAll('.node-address').length, first: figure.querySelector('a.node-name title').textContent, svgs: document.querySelectorAll('svg').length };
      return { drawn, view: route.view, args: route.args, x: route.query.get('x'), names: l.names.length, addresses: l.addresses.length, omitted: l.omitted, max: [graph.MAX_NAMES, graph.MAX_ADDRESSES] };
    })()`)) as { drawn: { names: number; addresses: number; first: string; svgs: number }; view: string; args: string[]; x: string | null; names: number; addresses: number; omitted: { names: number; addresses: number }; max: [number, number] };
    expect(result.view).toBe('domain');
    expect(result.args).toEqual(['a/b.test']);
    expect(result.x).toBe('1');
    expect(result.names).toBe(result.max[0]);
    expect(result.addresses).toBeLessThanOrEqual(result.max[1]);
    expect(result.omitted.names).toBe(500 - result.max[0]);
    expect(result.drawn.names).toBe(result.max[0]);
    expect(result.drawn.addresses).toBeLessThanOrEqual(result.max[1]);
    expect(result.drawn.first).toBe('<svg\\032onload=alert\\0401\\041>.evil.test');
    expect(result.drawn.svgs).toBe(1);
    expect(incidents).toEqual([]);
    await context.close();
  });
});
