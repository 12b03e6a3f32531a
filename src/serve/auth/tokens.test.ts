import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/load.js';
import { MAX_TOKEN_FILE_BYTES, parseTokens, readTokenFile } from './tokens.js';

const A = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==';
const B = '3f9a1c0e7b2d4a6f8e1c3b5d7f9a0c2e';
const C = 'abc-DEF_ghi.jkl~mno+pqr/stu';

describe('token file parsing', () => {
  it.each([
    ['one token per line, comments and blank lines skipped', `# operators\n\n${A} admin alice\n${B} read grafana # the dashboard\n   \n`, [['alice', 'admin'], ['grafana', 'read']]],
    ['CRLF line ends and tabs', `${A}\tread\tgrafana\r\n${B} write  sensor-1\r\n`, [['grafana', 'read'], ['sensor-1', 'write']]],
    ['every character of the alphabet', `${C} read x@example.org\n`, [['x@example.org', 'read']]],
  ])('%s', (_what, text, principals) => {
    const table = parseTokens(text, 'tokens.txt');
    expect(table.principals().map((p) => [p.name, p.role])).toEqual(principals);
  });

  it('finds a principal by its token and nobody by a near miss', () => {
    const table = parseTokens(`${A} admin alice\n${B} read grafana\n`, 'f');
    expect(table.lookup(A)).toEqual({ name: 'alice', role: 'admin' });
    expect(table.lookup(B)).toEqual({ name: 'grafana', role: 'read' });
    expect(table.lookup(`${A.slice(0, -1)}x`)).toBeNull();
    expect(table.lookup(A.slice(0, -1))).toBeNull();
    expect(table.lookup('')).toBeNull();
    expect(table.lookup('x'.repeat(100_000))).toBeNull();
  });

  it.each([
    ['a bad role', `${A} root alice\n`, 'f:1: the role must be one of read, write, admin'],
    ['a short token', `# c\nshorttoken123 read alice\n`, 'f:2: the token is shorter than 16 characters'],
    ['a token outside the alphabet', `${A}\u00e9 read alice\n`, 'f:1: the token holds a character outside'],
    ['two fields', `${A} read\n`, 'f:1: expected TOKEN ROLE NAME (3 fields), found 2'],
    ['four fields', `${A} read alice extra\n`, 'f:1: expected TOKEN ROLE NAME (3 fields), found 4'],
    ['a duplicate token', `${A} read alice\n\n${A} admin bob\n`, 'f:3: the same token as line 1'],
    ['a duplicate name', `${A} read alice\n${B} admin alice\n`, 'f:2: the name alice is already on line 1'],
    ['a name with a quote', `${A} read al"ice\n`, 'f:1: the name must be'],
    ['no tokens at all', `# nobody\n\n`, 'f: no tokens'],
  ])('refuses %s, naming the line, never the token', (_what, text, message) => {
    let error: unknown;
    try {
      parseTokens(text, 'f');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`tokens: ${message}`);
    expect((error as Error).message).not.toContain(A);
    expect((error as Error).message).not.toContain('shorttoken123');
  });

  it('refuses a role put where the token goes without echoing what is there', () => {
    expect(() => parseTokens(`read ${A} alice\n`, 'f')).toThrow(/f:1: the token is shorter/);
    expect(() => parseTokens(`alice admin ${A}\n`, 'f')).toThrow(/f:1: the token is shorter/);
    expect(() => parseTokens(`${A} ${B} alice\n`, 'f')).toThrow(/^tokens: f:1: the role must be one of read, write, admin$/);
  });
});

describe('token file reading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-tokens-'));

  it('reads a private file without warning, warns about a world-readable one', () => {
    const file = join(dir, 'private');
    writeFileSync(file, `${A} read grafana\n`, { mode: 0o600 });
    expect(readTokenFile(file)).toMatchObject({ warning: null });
    expect(readTokenFile(file).table.lookup(A)).toEqual({ name: 'grafana', role: 'read' });
    chmodSync(file, 0o644);
    expect(readTokenFile(file).warning).toMatch(/readable by every user of this machine: chmod 600/);
  });

  it('refuses a missing file, a folder and a file past the cap, in one line', () => {
    expect(() => readTokenFile(join(dir, 'absent'))).toThrow(/^tokens: cannot read .*absent: ENOENT$/);
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    expect(() => readTokenFile(folder)).toThrow(/not a regular file/);
    const big = join(dir, 'big');
    writeFileSync(big, `${'#'.repeat(MAX_TOKEN_FILE_BYTES)}\n${A} read a\n`);
    expect(() => readTokenFile(big)).toThrow(`tokens: ${big}: larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
  });
});
