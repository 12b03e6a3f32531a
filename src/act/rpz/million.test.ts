/**
 * A huge flagged set stays well-formed: a million flagged names (in 1,000
 * registered domains) built, written atomically, counted back and, when
 * bind9-utils is installed, loaded by named-checkzone. The times are logged.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.js';
import { findBinary } from '../../../test/support/binaries.js';
import { buildRpzZone, rpzOptionsOf, type RpzVerdict } from './zone.js';
import { writeZoneFile } from './zone-file.js';

const N = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-rpz-1m-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a million flagged names', () => {
  const checkzone = findBinary('named-checkzone', 'bind9-utils');

  it('build and atomic write stay well-formed', async () => {
    const verdicts: RpzVerdict[] = [];
    for (let i = 0; i < N; i++) {
      const registered = `flux${i % 1000}.example`;
      verdicts.push({ domain: `n${i}.${registered}`, registered_domain: registered, verdict: 'fast-flux', flux: 'single', evidence: { addresses: [], name_servers: [], ns_addresses: [] } });
    }
    const path = join(dir, 'big.rpz');
    const t0 = performance.now();
    const zone = buildRpzZone(verdicts, rpzOptionsOf(validateConfig({}, 'test')), 2026112601);
    const t1 = performance.now();
    await writeZoneFile(path, zone);
    const t2 = performance.now();
    const records = 2 * N + 2 * 1000;
    expect(zone.records).toHaveLength(records);
    const text = readFileSync(path, 'latin1');
    const lines = text.split('\n');
    expect(lines.at(-1)).toBe('');
    // Header comment, $ORIGIN, $TTL, SOA, NS, then the records.
    expect(lines).toHaveLength(5 + records + 1);
    expect(lines[3]).toBe('@ SOA localhost. hostmaster.localhost. 2026112601 300 60 604800 60');
    expect(lines.slice(5, 9)).toEqual(['n0.flux0.example CNAME .', '*.n0.flux0.example CNAME .', 'flux0.example CNAME .', '*.flux0.example CNAME .']);
    expect(lines.at(-2)).toBe('*.n999999.flux999.example CNAME .');
    expect(lines.every((l, i) => i < 5 || l === '' || / CNAME \.$/.test(l))).toBe(true);
    let checkMs: number | null = null;
    if (checkzone.path !== null) {
      const t3 = performance.now();
      const out = execFileSync(checkzone.path, ['-k', 'ignore', '-i', 'none', 'rpz.fluxhound.', path], { encoding: 'utf8', maxBuffer: 1 << 20 });
      checkMs = performance.now() - t3;
      expect(out).toMatch(/loaded serial 2026112601/);
      expect(out).toMatch(/OK/);
    }
    console.log(
      `rpz 1M: ${N} names → ${records} records, ${(statSync(path).size / 2 ** 20).toFixed(1)} MiB; ` +
        `build ${(t1 - t0).toFixed(0)} ms, write ${(t2 - t1).toFixed(0)} ms` +
        (checkMs === null ? '' : `, named-checkzone ${(checkMs / 1000).toFixed(1)} s`),
    );
  }, 600_000);
});
