/**
 * The console's static files: src/web built into dist/src/web (index.html,
 * console.css and the ES modules). They hold no data, so the listener serves
 * them without a token; every response carries CONSOLE_CSP. The files are
 * read once, on the first request, and kept (a few tens of KB): a rebuild
 * needs a restart, like the rest of the daemon's code.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConsoleAsset {
  /** Content-Type header. */
  type: string;
  body: Buffer;
  /** Strong ETag of the body. */
  etag: string;
}

/**
 * The Content-Security-Policy of every console response: scripts and styles
 * from this origin only (no inline script or style, no eval), fetches to
 * this origin only, nothing framed, no forms posted anywhere, no base
 * rewriting. Data is put on the page as text, so a hostile name that got
 * past that would still not run.
 */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Every servable file under `dir` by its URL path ('/main.js', '/views/domain.js'); '/' is index.html. */
export function loadConsoleAssets(dir: string): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  const walk = (at: string): void => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const type = TYPES[extname(entry)];
      if (type === undefined) continue; // source maps and anything else stay private
      const body = readFileSync(path);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      assets.set(`/${relative(dir, path).split(sep).join('/')}`, { type, body, etag });
    }
  };
  if (existsSync(dir)) walk(dir);
  const index = assets.get('/index.html');
  if (index !== undefined) assets.set('/', index);
  return assets;
}

/**
 * Where the built console is: beside this module in dist (dist/src/serve/http
 * → dist/src/web), or, when this module runs from source (vitest), the
 * project's dist/src/web.
 */
export function consoleDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, '..', '..', 'web'), join(here, '..', '..', '..', 'dist', 'src', 'web')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'main.js'))) ?? candidates[0]!;
}

let loaded: Map<string, ConsoleAsset> | null = null;

/** The static file at `path` ('/' is index.html), or null when there is none. */
export function consoleAsset(path: string): ConsoleAsset | null {
  loaded ??= loadConsoleAssets(consoleDir());
  const bare = path.split('?')[0] ?? path;
  return loaded.get(bare) ?? null;
}
