import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, loadConsoleAssets } from './console.js';

describe('console assets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-console-'));
  mkdirSync(join(dir, 'views'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'console.css'), 'body{}');
  writeFileSync(join(dir, 'main.js'), 'export {};');
  writeFileSync(join(dir, 'main.js.map'), '{}');
  writeFileSync(join(dir, 'views', 'domain.js'), 'export const a = 1;');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const assets = loadConsoleAssets(dir);

  it('serves / as index.html and every file by its path, with its content type', () => {
    expect(assets.get('/')?.body.toString()).toBe('<!doctype html><title>x</title>');
    expect(assets.get('/')?.type).toBe('text/html; charset=utf-8');
    expect(assets.get('/console.css')?.type).toBe('text/css; charset=utf-8');
    expect(assets.get('/main.js')?.type).toBe('text/javascript; charset=utf-8');
    expect(assets.get('/views/domain.js')?.body.toString()).toBe('export const a = 1;');
  });

  it('keeps source maps and unknown paths out', () => {
    expect(assets.has('/main.js.map')).toBe(false);
    expect(assets.has('/../package.json')).toBe(false);
    expect(assets.has('/views')).toBe(false);
  });

  it('gives each body a strong ETag that changes with it', () => {
    const a = assets.get('/main.js')!.etag;
    expect(a).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(assets.get('/')!.etag).toBe(assets.get('/index.html')!.etag);
    expect(assets.get('/views/domain.js')!.etag).not.toBe(a);
  });

  it('has a CSP with no inline script or style and no eval', () => {
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("style-src 'self'");
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('finds nothing in a folder that does not exist', () => {
    expect(loadConsoleAssets(join(dir, 'missing')).size).toBe(0);
  });
});

describe('the console source (src/web)', () => {
  const WEB = join(import.meta.dirname, '..', '..', 'web');
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|html)$/.test(e.name) ? [join(dir, e.name)] : []));

  it('never parses data as markup, never runs strings, never styles inline', () => {
    const found = sources(WEB).flatMap((path) => {
      const text = readFileSync(path, 'utf8');
      return [/\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /\beval\(/, /new Function\(/, / style=/, /setAttribute\('style'/].filter((re) => re.test(text)).map((re) => `${path}: ${re}`);
    });
    expect(found).toEqual([]);
    expect(sources(WEB).length).toBeGreaterThan(10);
  });

  it('fetches nothing but same-origin /api/v1/', () => {
    const urls = sources(WEB).flatMap((path) => [...readFileSync(path, 'utf8').matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi)].map((m) => `${path}: ${m[0]}`));
    // The SVG namespace is a name, not a fetch.
    expect(urls.filter((u) => !u.endsWith('http://www.w3.org'))).toEqual([]);
  });
});
