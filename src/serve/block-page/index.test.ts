import { request } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlaggedDomains } from '../../act/flagged.js';
import { defaultConfig } from '../../config/schema.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import type { ServeContext } from '../service.js';
import { BlockPageService, hostName } from './index.js';
import { blockedPage, escapeHtml } from './page.js';
import { denyVerdict } from '../lists/entry.js';

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
});

describe('block page for a deny-list entry', () => {
  it('says the operators blocked it and quotes their note, escaped; it claims no fast flux', () => {
    const v = denyVerdict({ list: 'deny', name: 'promo.shady.example', comment: 'reported <script>alert(1)</script> phish', by: 'alice', at: Date.UTC(2030, 0, 1) / 1000 });
    const html = blockedPage('www.promo.shady.example', v, new Date(Date.UTC(2030, 0, 2)));
    expect(html).toContain('The operators of your network put it on their list of blocked sites');
    expect(html).not.toContain('fast flux');
    expect(html).toContain('<p>Their note:</p><ul><li>on the operator deny list: reported &#60;script&#62;alert(1)&#60;&#47;script&#62; phish (by alice at 2030-01-01T00:00:00.000Z)</li></ul>');
    expect(html).toContain('· deny list · score 100 ·');
    expect(html).not.toContain('<script>');
  });
});
