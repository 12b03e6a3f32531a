/**
 * Issue 12, defect 14: allowlistFiles were read whole, whatever they were
 * (`/dev/zero` grew the daemon to 7.4 GB). Only regular files under
 * policy.allowlistMaxBytes are read; anything else is one config error line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.js';
import { LiveAllowlist, loadAllowlist, withNames, Allowlist } from './allowlist.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-allowlist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const policyWith = (files: string[], maxBytes?: number) =>
  validateConfig({ policy: { allowlistFiles: files, ...(maxBytes === undefined ? {} : { allowlistMaxBytes: maxBytes }) } }, 'test').policy;

describe('allowlist files', () => {
  it('reads a regular file: names and addresses, comments ignored', () => {
    const file = join(dir, 'ok.txt');
    writeFileSync(file, '# ours\nexample.org\n192.0.2.0/24  # lab\n');
    const allow = loadAllowlist(policyWith([file]));
    expect(allow.isAllowed('www.example.org')).toBe(true);
    expect(allow.isAllowedAddress('192.0.2.9')).toBe(true);
  });

  it('refuses /dev/zero, a directory and a FIFO without reading them, in one line', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const file of ['/dev/zero', dir, fifo]) {
      expect(() => loadAllowlist(policyWith([file]))).toThrow(new RegExp(`^config: policy\\.allowlistFiles: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a regular file$`));
    }
  });

  it('refuses a file over policy.allowlistMaxBytes (default 64 MiB) and takes one at the cap', () => {
    expect(policyWith([]).allowlistMaxBytes).toBe(64 * 1024 * 1024);
    const file = join(dir, 'big.txt');
    writeFileSync(file, 'a.example\n'.repeat(100)); // 1,000 bytes
    expect(() => loadAllowlist(policyWith([file], 999))).toThrow(/^config: policy\.allowlistFiles: .*big\.txt: 1000 bytes, over policy\.allowlistMaxBytes \(999\)$/);
    expect(loadAllowlist(policyWith([file], 1000)).names).toEqual(['a.example']);
  });

  it('names a missing file', () => {
    expect(() => loadAllowlist(policyWith([join(dir, 'none.txt')]))).toThrow(/^config: policy\.allowlistFiles: cannot read .*none\.txt: ENOENT$/);
  });
});

describe('LiveAllowlist: managed entries', () => {
  it('joins the configured entries, and a reload keeps them', () => {
    const config = validateConfig({ policy: { allowlist: ['config.example'] } }, 'test');
    const live = new LiveAllowlist(config.policy);
    expect(live.isAllowed('www.managed.example')).toBe(false);
    live.setManaged(['managed.example']);
    expect(live.isAllowed('www.managed.example')).toBe(true);
    expect(live.isAllowed('config.example')).toBe(true);
    expect(live.configured.names).toEqual(['config.example']);
    expect(live.allowlist.names).toEqual(['config.example', 'managed.example']);
    const next = validateConfig({ policy: { allowlist: ['other.example'] } }, 'test');
    live.prepare(next.policy)();
    expect(live.allowlist.names).toEqual(['managed.example', 'other.example']);
    expect(live.isAllowed('config.example')).toBe(false);
    live.setManaged([]);
    expect(live.isAllowed('managed.example')).toBe(false);
  });

  it('withNames keeps the addresses of the base and returns it unchanged without names', () => {
    const base = new Allowlist(['192.0.2.0/24', 'a.example']);
    expect(withNames(base, [])).toBe(base);
    const more = withNames(base, ['b.example']);
    expect(more.isAllowedAddress('192.0.2.9')).toBe(true);
    expect(more.names).toEqual(['a.example', 'b.example']);
  });
});
