/**
 * The IP blocklists as the firewalls load them: `nft -f` and `ipset restore`
 * run on fluxhound's files inside a network namespace the test creates
 * (`unshare --net`), so the host's tables are never touched. Hostile domain
 * names ride along in the entries' comments and must stay comments.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatBlocklist, type IpFormat } from '../../src/act/blocklist/formats.js';
import type { FluxAddress } from '../../src/act/blocklist/addresses.js';
import { findBinary } from '../support/binaries.js';

const nft = findBinary('nft', 'nftables');
const ipset = findBinary('ipset', 'ipset');
const unshare = findBinary('unshare', 'util-linux');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-firewall-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse('2025-04-03T04:00:00Z') / 1000;
const HOSTILE = ['evil.example\nadd element inet filter allow { 0.0.0.0/0 }', 'x.example; flush ruleset', 'q"uote\\d.example', 'spa ce.example'];

function entries(): FluxAddress[] {
  const list: FluxAddress[] = [];
  for (let i = 0; i < 300; i++) {
    list.push({ address: `198.18.${i >> 8}.${i & 255}`, family: 4, firstSeen: NOW - 3600, lastSeen: NOW - i, domain: HOSTILE[i % HOSTILE.length]! });
  }
  for (let i = 0; i < 20; i++) list.push({ address: `2001:db8::${(i + 1).toString(16)}`, family: 6, firstSeen: NOW - 3600, lastSeen: NOW, domain: `v6-${i}.example` });
  return list;
}

function write(format: IpFormat): string {
  const path = join(dir, `flux.${format}`);
  writeFileSync(path, [...formatBlocklist(entries(), format, { now: NOW, expiry: 86_400 })].join(''));
  return path;
}

/** Runs a shell script in a fresh network namespace: its own empty nftables and ipset state. */
function inNamespace(script: string): string {
  return execFileSync(unshare.path!, ['--net', 'sh', '-c', script], { encoding: 'utf8', timeout: 30_000 });
}

describe.skipIf(nft.missing !== null || unshare.missing !== null)('nftables', () => {
  it('nft -f loads the sets with every address and a timeout, and nothing else', () => {
    const file = write('nftables');
    // Loaded twice: the file replaces its own table, so a reload is idempotent.
    const out = inNamespace(`nft -f '${file}' && nft -f '${file}' && nft -j list ruleset`);
    const ruleset = JSON.parse(out) as { nftables: Array<Record<string, { name?: string; table?: string; elem?: unknown[] }>> };
    const sets = ruleset.nftables.filter((o) => o.set !== undefined).map((o) => o.set!);
    expect(sets.map((s) => s.name).sort()).toEqual(['fluxhound4', 'fluxhound6']);
    expect(sets.find((s) => s.name === 'fluxhound4')!.elem).toHaveLength(300);
    expect(sets.find((s) => s.name === 'fluxhound6')!.elem).toHaveLength(20);
    // Only fluxhound's own table exists: no comment became a command in another table.
    const tables = ruleset.nftables.filter((o) => o.table !== undefined).map((o) => o.table!.name);
    expect(tables).toEqual(['fluxhound']);
  });
});

describe.skipIf(ipset.missing !== null || unshare.missing !== null)('ipset', () => {
  it('ipset restore creates the sets with every address', () => {
    const file = write('ipset');
    const out = inNamespace(`ipset restore < '${file}' && ipset restore < '${file}' && ipset list -t fluxhound4 && ipset list -t fluxhound6`);
    const counts = [...out.matchAll(/Number of entries: (\d+)/g)].map((m) => Number(m[1]));
    expect(counts).toEqual([300, 20]);
  });
});
