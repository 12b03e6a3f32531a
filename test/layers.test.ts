/**
 * Layers that hold: every import in src/ runs down the layers, never up, and
 * src/ holds the product alone. The imports are read with the TypeScript
 * scanner (import, export-from, import type, dynamic import()), so a
 * violation in a comment or a string does not count and none is missed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/**
 * The layers, lowest first. A module may import from its own top-level entry
 * and from any entry on a lower level; entries on one level are peers and do
 * not import each other. Every entry directly under src/ must be placed here.
 */
const LAYERS: readonly (readonly string[])[] = [
  // The records that flow and the caller-error classes: everything reads them.
  ['model'],
  // The one schema: every layer reads its slice of Config, so it sits just above
  // the records (a rule in it may use a model helper, never the reverse).
  ['config'],
  // The one DNS wire codec, shared by sources, the forwarder and the RPZ writer and server.
  ['dns'],
  // Inputs: bytes in, DnsObservation out; sources/registry.ts is the ordered list of formats.
  ['sources'],
  // corpus writes the input formats (the generator behind `fluxhound eval`); enrich
  // adds facts about addresses and names. Neither needs the other.
  ['corpus', 'enrich'],
  // Feeds in and what they know: facts beside enrich's, read by detection.
  ['intel'],
  ['detect'],
  ['act'],
  // The batch pipeline behind `analyze` (and reused by `eval`): sources → enrich → detect → act.
  ['analyze.ts'],
  ['store'],
  // The libraries behind the two long-lived commands: the daemon (serve/registry.ts
  // lists its services) and the accuracy evaluation. Neither imports the other.
  ['serve', 'eval'],
  // One file per command; nothing imports from here.
  ['cli'],
];

/**
 * Browser code, outside the layers: src/web is the console the browser loads
 * (built by its own tsconfig with the DOM library). No product module
 * imports it (the HTTP listener serves its built files, never its code), and
 * it imports nothing of src/ but its own files and type-only imports of
 * src/model (erased by the compiler: the records the API answers in); no
 * package, no Node built-in.
 */
const BROWSER = new Set(['web']);

const LEVEL = new Map<string, number>(LAYERS.flatMap((entries, level) => entries.map((e) => [e, level] as const)));
const ORDER = LAYERS.map((entries) => entries.join(' | ')).join(' → ');

/** A file that exists only to test: excluded from the build, may use test helpers and devDependencies. */
function isTestFile(path: string): boolean {
  return /\.(test|case)\.ts$/.test(path);
}

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...sourceFiles(path));
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) found.push(path);
  }
  return found.sort();
}

/** The top-level entry under src/ a path belongs to ('detect', 'analyze.ts'), or null outside src/. */
function entryOf(path: string): string | null {
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return null;
  return rel.split(sep)[0] ?? null;
}

/** Every module specifier a file names, with its line. */
function importsOf(path: string): { specifier: string; line: number }[] {
  const text = readFileSync(path, 'utf8');
  const { importedFiles } = ts.preProcessFile(text, true, true);
  const lineOf = (pos: number) => text.slice(0, pos).split('\n').length;
  return importedFiles.map((f) => ({ specifier: f.fileName, line: lineOf(f.pos) }));
}

/** A relative specifier as the .ts file it names (NodeNext: './x.js' is ./x.ts). */
function resolveRelative(from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier);
  if (target.endsWith('.js')) return target.slice(0, -3) + '.ts';
  if (existsSync(target) && statSync(target).isDirectory()) return join(target, 'index.ts');
  return target;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const RUNTIME_PACKAGES = new Set(Object.keys(pkg.dependencies ?? {}));
const BUILTINS = new Set(builtinModules);

interface Edge {
  from: string;
  line: number;
  specifier: string;
  target: string | null;
}

function edges(files: readonly string[]): Edge[] {
  return files.flatMap((from) =>
    importsOf(from).map(({ specifier, line }) => ({
      from,
      line,
      specifier,
      target: specifier.startsWith('.') ? resolveRelative(from, specifier) : null,
    })),
  );
}

/** Whether the import at `line` of `path` is type-only (import type / export type), hence erased. */
function typeOnly(path: string, specifier: string): boolean {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, false);
  return source.statements.some((s) => {
    if (ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === specifier) {
      const clause = s.importClause;
      if (clause === undefined) return false;
      if (clause.isTypeOnly) return true;
      // import { type A, type B } from '...': every binding type-only, no default import.
      const named = clause.namedBindings;
      return clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
    }
    if (ts.isExportDeclaration(s) && s.moduleSpecifier !== undefined && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === specifier) return s.isTypeOnly;
    return false;
  });
}

/** Why an import of or from browser code (src/web) breaks the rule above, or null when it holds; undefined when neither end is browser code. */
function browserViolation(edge: Edge, typeOnlyImport: (edge: Edge) => boolean): string | null | undefined {
  const fromEntry = entryOf(edge.from);
  const toEntry = edge.target === null ? null : entryOf(edge.target);
  const fromBrowser = fromEntry !== null && BROWSER.has(fromEntry);
  const toBrowser = toEntry !== null && BROWSER.has(toEntry);
  if (!fromBrowser && !toBrowser) return undefined;
  if (!fromBrowser) return isTestFile(edge.from) ? null : `product code imports browser code (src/${toEntry}): serve its built files instead`;
  if (edge.target === null) return `browser code imports '${edge.specifier}': it runs in the browser, with no package or Node built-in`;
  if (toEntry === null) return 'browser code imports from outside src/';
  if (toBrowser) return null;
  if (toEntry === 'model' && typeOnlyImport(edge)) return null;
  return `browser code imports src/${toEntry}: only type-only imports of src/model are erased from what the browser loads`;
}

/** Why an import breaks the layers, or null when it holds. */
function violation(edge: Edge, typeOnlyImport: (edge: Edge) => boolean = (e) => typeOnly(e.from, e.specifier)): string | null {
  const browser = browserViolation(edge, typeOnlyImport);
  if (browser !== undefined) return browser;
  const test = isTestFile(edge.from);
  if (edge.target === null) {
    if (edge.specifier.startsWith('node:') || BUILTINS.has(edge.specifier)) return null;
    if (test || RUNTIME_PACKAGES.has(packageName(edge.specifier))) return null;
    return `'${packageName(edge.specifier)}' is not a runtime dependency in package.json (product code may not use a devDependency)`;
  }
  const fromEntry = entryOf(edge.from);
  const toEntry = entryOf(edge.target);
  if (fromEntry === null) return null;
  if (toEntry === null) return test ? null : 'product code imports from outside src/ (test and bench helpers stay out of the package)';
  if (!test && isTestFile(edge.target)) return 'product code imports a test suite';
  if (fromEntry === toEntry) return null;
  const fromLevel = LEVEL.get(fromEntry);
  const toLevel = LEVEL.get(toEntry);
  if (fromLevel === undefined || toLevel === undefined) return null; // reported as unplaced
  if (toEntry === 'cli') return 'nothing imports from cli/';
  if (toLevel > fromLevel) return `${fromEntry} imports ${toEntry}, a higher layer (${ORDER})`;
  if (toLevel === fromLevel) return `${fromEntry} and ${toEntry} are peers on one layer and do not import each other`;
  return null;
}

function describeEdge(edge: Edge, why: string): string {
  return `${relative(ROOT, edge.from)}:${edge.line}: '${edge.specifier}': ${why}`;
}

const FILES = sourceFiles(SRC);
const EDGES = edges(FILES);

describe('layers', () => {
  it('place every top-level entry of src/', () => {
    const entries = readdirSync(SRC).filter((e) => statSync(join(SRC, e)).isDirectory() || e.endsWith('.ts'));
    const unplaced = entries.filter((e) => !LEVEL.has(e) && !BROWSER.has(e));
    expect(unplaced, `place these in LAYERS in test/layers.test.ts: ${unplaced.join(', ')}`).toEqual([]);
  });

  it('hold: no import in src/ runs up the layers, out of src/, or into a devDependency', () => {
    const found = EDGES.flatMap((edge) => {
      const why = violation(edge);
      return why === null ? [] : [describeEdge(edge, why)];
    });
    expect(found, `imports that break the layers:\n${found.join('\n')}\n`).toEqual([]);
  });

  it('src/ holds the product alone: every non-test module is reached from the command line', () => {
    const next = new Map<string, string[]>();
    for (const edge of EDGES) {
      if (edge.target === null) continue;
      next.set(edge.from, [...(next.get(edge.from) ?? []), edge.target]);
    }
    const reached = new Set<string>();
    const stack = [join(SRC, 'cli', 'main.ts')];
    for (let file = stack.pop(); file !== undefined; file = stack.pop()) {
      if (reached.has(file)) continue;
      reached.add(file);
      stack.push(...(next.get(file) ?? []));
    }
    const browser = (f: string) => BROWSER.has(entryOf(f) ?? '');
    const unreached = FILES.filter((f) => !isTestFile(f) && !browser(f) && !reached.has(f)).map((f) => relative(ROOT, f));
    expect(unreached, `only tests, bench or scripts use these: move them to test/support/, bench/ or scripts/`).toEqual([]);
  });

  it('reports a module that imports up, one into cli/, a test helper and a devDependency', () => {
    const at = (from: string, specifier: string): Edge => {
      const path = join(SRC, from);
      return { from: path, line: 1, specifier, target: specifier.startsWith('.') ? resolveRelative(path, specifier) : null };
    };
    expect(violation(at('model/verdict.ts', '../detect/score.js'))).toMatch(/model imports detect, a higher layer/);
    expect(violation(at('store/store.ts', '../serve/service.js'))).toMatch(/store imports serve/);
    expect(violation(at('serve/daemon.ts', '../cli/errors.js'))).toBe('nothing imports from cli/');
    expect(violation(at('eval/run.ts', '../serve/daemon.js'))).toMatch(/peers/);
    expect(violation(at('sources/pcap/index.ts', '../../../test/support/pcap-synth.js'))).toMatch(/outside src/);
    expect(violation(at('sources/dnstap/decoder.ts', 'dns-packet'))).toMatch(/'dns-packet' is not a runtime dependency/);
    expect(violation(at('store/store.ts', './store.case.js'))).toBe('product code imports a test suite');
    // What holds: down the layers, inside one entry, a test's helpers and devDependencies.
    expect(violation(at('serve/daemon.ts', '../detect/detector.js'))).toBeNull();
    expect(violation(at('sources/pcap/index.ts', './decoder.js'))).toBeNull();
    expect(violation(at('sources/pcap/pcap.test.ts', '../../../test/support/pcap-synth.js'))).toBeNull();
    expect(violation(at('sources/pcap/pcap.test.ts', 'dns-packet'))).toBeNull();
    expect(violation(at('detect/detector.ts', 'node:fs'))).toBeNull();
  });

  it('keeps browser code apart: nothing imports src/web, and it imports only itself and model types', () => {
    const at = (from: string, specifier: string, typeOnlyImport: boolean): string | null => {
      const path = join(SRC, from);
      const edge = { from: path, line: 1, specifier, target: specifier.startsWith('.') ? resolveRelative(path, specifier) : null };
      return violation(edge, () => typeOnlyImport);
    };
    expect(at('serve/http/console.ts', '../../web/h.js', false)).toMatch(/product code imports browser code/);
    expect(at('web/views/domain.ts', '../../detect/score.js', true)).toMatch(/browser code imports src\/detect/);
    expect(at('web/types.ts', '../model/query-log.js', false)).toMatch(/only type-only imports of src\/model/);
    expect(at('web/api.ts', 'node:fs', false)).toMatch(/no package or Node built-in/);
    expect(at('web/api.ts', 'ajv', false)).toMatch(/no package or Node built-in/);
    expect(at('web/types.ts', '../model/query-log.js', true)).toBeNull();
    expect(at('web/views/domain.ts', '../h.js', false)).toBeNull();
    // The scanner tells type-only imports from the rest, in the files as written.
    expect(typeOnly(join(SRC, 'web', 'types.ts'), '../model/query-log.js')).toBe(true);
    expect(typeOnly(join(SRC, 'web', 'main.ts'), './api.js')).toBe(false);
  });
});
