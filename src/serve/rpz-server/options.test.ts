import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../model/errors.js';
import { parseAcl, parseEndpoint, parseFlags, parseKeyFile, parseKeyFlag } from './options.js';
import { TEST_SECRET } from './test-zone.case.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-rpz-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What tsig-keygen -a hmac-sha256 fluxhound-rpz writes. */
const KEYGEN = `key "fluxhound-rpz" {\n\talgorithm hmac-sha256;\n\tsecret "${TEST_SECRET}";\n};\n`;

function usage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('no UsageError');
}

describe('rpz-server options', () => {
  it('reads endpoints', () => {
    expect(parseEndpoint('127.0.0.1:5300', '--rpz-server')).toEqual({ host: '127.0.0.1', port: 5300 });
    expect(parseEndpoint('[::1]:53', '--rpz-server')).toEqual({ host: '::1', port: 53 });
    expect(parseEndpoint('192.0.2.1', '--rpz-notify', 53)).toEqual({ host: '192.0.2.1', port: 53 });
    expect(usage(() => parseEndpoint('localhost:53', '--rpz-server'))).toMatch(/ADDRESS:PORT/);
    expect(usage(() => parseEndpoint('127.0.0.1:70000', '--rpz-server'))).toMatch(/bad port/);
    expect(usage(() => parseEndpoint('127.0.0.1', '--rpz-server'))).toMatch(/needs a port/);
  });

  it('builds the ACL, loopback by default', () => {
    const loop = parseAcl(undefined);
    expect(loop('127.0.0.1')).toBe(true);
    expect(loop('::1')).toBe(true);
    expect(loop('::ffff:127.0.0.1')).toBe(true);
    expect(loop('192.0.2.1')).toBe(false);
    const acl = parseAcl(['192.0.2.0/24', '2001:db8::/32']);
    expect(acl('192.0.2.77')).toBe(true);
    expect(acl('2001:db8::5')).toBe(true);
    expect(acl('127.0.0.1')).toBe(false);
    expect(usage(() => parseAcl(['192.0.2.0/33']))).toMatch(/--rpz-allow/);
    expect(usage(() => parseAcl(['example.com']))).toMatch(/--rpz-allow/);
  });

  it('reads a key file as tsig-keygen writes it, and keys given inline', () => {
    const key = parseKeyFile(`# made by tsig-keygen\n${KEYGEN}`, 'k');
    expect(key.name).toBe('fluxhound-rpz.');
    expect(key.secret.toString('base64')).toBe(TEST_SECRET);
    expect(parseKeyFlag(`fluxhound-rpz:${TEST_SECRET}`).name).toBe('fluxhound-rpz.');
    expect(parseKeyFlag(`hmac-sha256:fluxhound-rpz:${TEST_SECRET}`).secret.length).toBe(32);
  });

  it('says in one line what is wrong with a key', () => {
    expect(usage(() => parseKeyFlag('fluxhound-rpz:not*base64'))).toMatch(/not base64/);
    expect(usage(() => parseKeyFlag('fluxhound-rpz:c2hvcnQ='))).toMatch(/has 5 bytes/);
    expect(usage(() => parseKeyFlag(`hmac-md5:k:${TEST_SECRET}`))).toMatch(/algorithm 'hmac-md5' is not supported/);
    expect(usage(() => parseKeyFlag('justaname'))).toMatch(/NAME:SECRET/);
    expect(usage(() => parseKeyFile(KEYGEN.replace('hmac-sha256', 'hmac-sha1'), 'k'))).toMatch(/hmac-sha1/);
    expect(usage(() => parseKeyFile(KEYGEN + KEYGEN, 'k'))).toMatch(/found 2/);
    expect(usage(() => parseKeyFile('nothing here', 'k'))).toMatch(/found 0/);
    expect(usage(() => parseKeyFile(KEYGEN.replace(/secret.*\n/, ''), 'k'))).toMatch(/no secret/);
  });

  it('parses the whole flag set and refuses what is unsafe or incomplete', () => {
    const file = join(dir, 'rpz.key');
    writeFileSync(file, KEYGEN);
    const flags = parseFlags({ rpzServer: '127.0.0.1:5300', rpzNotify: ['127.0.0.1:5301'], tsigKeyFile: file })!;
    expect(flags.listen).toEqual({ host: '127.0.0.1', port: 5300 });
    expect(flags.notify).toEqual([{ host: '127.0.0.1', port: 5301 }]);
    expect(flags.key?.name).toBe('fluxhound-rpz.');
    expect(parseFlags({})).toBeNull();
    expect(usage(() => parseFlags({ rpzServer: '0.0.0.0:53' }))).toMatch(/--rpz-allow/);
    expect(parseFlags({ rpzServer: '0.0.0.0:53', rpzAllow: ['192.0.2.0/24'] })?.allow('192.0.2.1')).toBe(true);
    expect(usage(() => parseFlags({ tsigKey: `k:${TEST_SECRET}` }))).toMatch(/needs --rpz-server/);
    expect(usage(() => parseFlags({ rpzServer: '127.0.0.1:5300', tsigKeyFile: join(dir, 'missing.key') }))).toMatch(/ENOENT/);
    expect(usage(() => parseFlags({ rpzServer: '127.0.0.1:5300', tsigKeyFile: file, tsigKey: `k:${TEST_SECRET}` }))).toMatch(/not both/);
  });
});
