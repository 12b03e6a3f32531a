import { request } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlaggedDomains } from '../../act/flagged.js';
import { defaultConfig } from '../../config/schema.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import type { ServeContext } from '../service.js';
import { BlockPageService, hostName } from './index.js';
import { blockedPage, escapeHtml } from './page.js';
import { phraseHtml, whyDenied } from '../../act/explain.js';
import { intelListingVerdict } from '../../detect/intel-verdict.js';

const flagged = new FlaggedDomains();
const HOSTILE = 'x"><script>alert(1)</script>.evil.example';
flagged.upsert(flaggedVerdict('login.evil-bank.example', { registered: 'evil-bank.example', flux: 'double', reasons: ['60 IPs in 47 ASNs across 12 countries', 'the name <b>servers</b> of "x" rotate\u001b[2J'] }));
flagged.upsert(flaggedVerdict(HOSTILE, { registered: 'evil.example' }));
const context = { config: defaultConfig(), flagged, log: pino({ level: 'silent' }) } as unknown as ServeContext;
const service = new BlockPageService({ host: '127.0.0.1', port: 0, family: 4 }, context);

beforeAll(() => service.start());
afterAll(() => service.stop());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: service.port, path, method, headers, setHost: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('block page', () => {
  it('names the blocked name, says why in plain words and what to do', async () => {
    const r = await get('/some/path?q=1', { Host: 'www.login.evil-bank.example:8080' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<code>www.login.evil-bank.example</code> (because of <code>login.evil-bank.example</code>)');
    expect(r.body).toContain('double fast flux');
    expect(r.body).toContain('60 IPs in 47 ASNs across 12 countries');
    expect(r.body).toMatch(/Do not enter passwords/);
    expect(r.body).toMatch(/phishing/);
  });

  it('escapes everything it echoes and loads nothing from anywhere', async () => {
    const r = await get('/', { Host: 'www.evil-bank.example' });
    expect(r.status).toBe(200);
    expect(r.body).toContain('the name &#60;b&#62;servers&#60;&#47;b&#62; of &#34;x&#34; rotate\\u001b[2J');
    expect(r.body).not.toContain('<b>');
    expect(r.body).not.toMatch(/\u001b/);
    expect(r.body).not.toMatch(/<script|src=|href=|<link|<img|url\(/i);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; /);
    expect(csp).toContain("script-src 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('renders a hostile verdict name inert', () => {
    const html = blockedPage(HOSTILE, flaggedVerdict(HOSTILE), new Date(0));
    expect(html).not.toContain('<script>');
    expect(html).toContain('x\\034&#62;&#60;script&#62;alert\\0401\\041&#60;&#47;script&#62;.evil.example');
    expect(escapeHtml(`<'"&\`=/>`)).toBe('&#60;&#39;&#34;&#38;&#96;&#61;&#47;&#62;');
  });

  it('gives a neutral 404 page for names that are not blocked, addresses and junk Host headers', async () => {
    for (const host of ['www.example.org', '127.0.0.1:8080', '[::1]:80', 'a b.example', '']) {
      const r = await get('/', { Host: host });
      expect(r.status, host).toBe(404);
      expect(r.body).toContain('Nothing is blocked at this address');
    }
    expect(hostName('WWW.Evil.Example.:80')).toBe('www.evil.example');
  });

  it('supports HEAD and /healthz; refuses other methods and request bodies', async () => {
    const head = await get('/', { Host: 'login.evil-bank.example' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(500);
    expect(await get('/healthz', { Host: 'x' })).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await get('/', { Host: 'login.evil-bank.example' }, 'POST')).status).toBe(405);
    expect((await get('/', { Host: 'login.evil-bank.example', 'Content-Length': '5' }, 'GET', 'hello')).status).toBe(413);
  });

  it('refuses oversized headers', async () => {
    const r = await get('/', { Host: 'login.evil-bank.example', 'X-Big': 'a'.repeat(20_000) }).catch((err: Error) => ({ status: -1, body: err.message, headers: {} }));
    expect([431, 400, -1]).toContain(r.status);
    expect(r.body).not.toContain('This site was blocked');
  });

  it("says a name on the operator's deny list is blocked for that, with the entry's comment (the words the reports use)", () => {
    // The policy verdict the lists service puts in the flagged set (Verdict.listed).
    const denied = { ...flaggedVerdict('shady.example', { flux: null, reasons: ['on the operator deny list'] }), listed: { list: 'deny' as const, comment: 'phishing <kit> reported by CERT', by: 'alice', at: 0 } };
    const html = blockedPage('www.shady.example', denied, new Date(0));
    expect(html).toContain(phraseHtml(whyDenied('phishing <kit> reported by CERT'), escapeHtml));
    expect(html).toContain('<em>deny list</em>');
    expect(html).toContain('phishing &#60;kit&#62; reported by CERT');
    expect(html).not.toContain('fast flux');
  });

  it("names the intel feed and entry that list a name, escaped, and never a TAXII poster's name", () => {
    const listing = { feed: 'partner<b>', ref: 'indicator--1"><script>', kind: 'domain' as const, value: 'flux-net.example', note: 'botnet <i>C2</i>', confidence: 80, action: 'block' as const };
    const html = blockedPage('www.flux-net.example', intelListingVerdict('www.flux-net.example', listing, 1_700_000_000), new Date(0));
    expect(html).toContain('<em>partner&#60;b&#62;</em>, entry indicator--1&#34;&#62;&#60;script&#62;) lists this name as <em>fast flux</em>');
    expect(html).toContain('listed by intel feed partner&#60;b&#62; (entry indicator--1&#34;&#62;&#60;script&#62;, confidence 80): botnet &#60;i&#62;C2&#60;&#47;i&#62;');
    expect(html).not.toMatch(/<script|<b>|<i>/);
    // Pushed into the TAXII inbox by a partner (feed `taxii:<poster>`): the page says the inbox, not who.
    const pushed = blockedPage('www.flux-net.example', intelListingVerdict('www.flux-net.example', { ...listing, feed: 'taxii:acme-bank-soc' }, 1_700_000_000), new Date(0));
    expect(pushed).toContain('listed by intel feed TAXII inbox (entry');
    expect(pushed).toContain('<em>TAXII inbox</em>');
    expect(pushed).not.toContain('acme-bank-soc');
  });
});
