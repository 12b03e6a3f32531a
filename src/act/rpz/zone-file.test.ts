import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import type { RpzZone } from './types.js';
import { buildRpzZone, rpzOptionsOf } from './zone.js';
import { checkWritable, existingSerial, formatZone, writeZoneFile } from './zone-file.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-zone-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = rpzOptionsOf(validateConfig({}, 'test'));
const zoneOf = (names: string[], serial: number): RpzZone => buildRpzZone(names.map((n) => flaggedVerdict(n)), options, serial);

describe('writeZoneFile', () => {
  it('replaces the file and leaves no temp file behind', async () => {
    const path = join(dir, 'a.rpz');
    await writeZoneFile(path, zoneOf(['one.example'], 10));
    await writeZoneFile(path, zoneOf(['two.example'], 11));
    expect(readFileSync(path, 'utf8')).toBe(formatZone(zoneOf(['two.example'], 11)));
    expect(existingSerial(path)).toBe(11);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves the old zone whole when the write fails half-way', async () => {
    const path = join(dir, 'b.rpz');
    await writeZoneFile(path, zoneOf(['old.example'], 1));
    const before = readFileSync(path, 'utf8');
    // 200,000 good records (several MiB already written), then one that must not be written: the formatter throws.
    const zone = zoneOf(Array.from({ length: 100_000 }, (_, i) => `n${i}.example`), 2);
    zone.records.push({ owner: 'evil\nexample', type: 'CNAME', data: '.' });
    await expect(writeZoneFile(path, zone)).rejects.toThrow(/cannot write .*b\.rpz: rpz: unsafe owner name/);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((f) => f.includes('b.rpz') && f.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves PATH alone when the rename fails, and says which path', async () => {
    const path = join(dir, 'is-a-dir');
    mkdirSync(join(path, 'inside'), { recursive: true });
    await expect(writeZoneFile(path, zoneOf(['x.example'], 1))).rejects.toThrow(/cannot write .*is-a-dir: E(ISDIR|NOTEMPTY|EXIST)/);
    expect(readdirSync(path)).toEqual(['inside']);
    expect(readdirSync(dir).filter((f) => f.includes('is-a-dir') && f.endsWith('.tmp'))).toEqual([]);
  });

  it('checkWritable fails at start-up for a missing directory or a directory path', () => {
    expect(() => checkWritable(join(dir, 'no', 'such', 'dir', 'z.rpz'))).toThrow(/cannot write .*z\.rpz: ENOENT/);
    expect(() => checkWritable(join(dir, 'is-a-dir'))).toThrow(/EISDIR/);
    expect(() => checkWritable(join(dir, 'fine.rpz'))).not.toThrow();
    expect(existsSync(join(dir, 'fine.rpz'))).toBe(false);
  });

  const built = join(import.meta.dirname, '..', '..', '..', 'dist', 'src', 'act', 'rpz', 'zone-file.js');
  it.skipIf(!existsSync(built))('a writer killed at any moment leaves the old zone or the new one, never part of one', async () => {
    const path = join(dir, 'killed.rpz');
    const small = formatZone(zoneOf(['old.example'], 1));
    writeFileSync(path, small);
    // The child writes a 400,000-record zone over and over; we kill it mid-way several times.
    const script = `
      const { writeZoneFile } = await import(${JSON.stringify(built)});
      const records = [];
      for (let i = 0; i < 200000; i++) records.push({ owner: 'n' + i + '.example', type: 'CNAME', data: '.' }, { owner: '*.n' + i + '.example', type: 'CNAME', data: '.' });
      const zone = { origin: 'rpz.fluxhound.', ttl: 60, soa: { mname: 'localhost.', rname: 'hostmaster.localhost.', serial: 2, refresh: 300, retry: 60, expire: 604800, minimum: 60 }, ns: ['localhost.'], records };
      process.stdout.write('ready\\n');
      for (;;) await writeZoneFile(${JSON.stringify(path)}, zone);`;
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 150 + round * 170));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const text = readFileSync(path, 'utf8');
      if (text !== small) {
        expect(text.startsWith('; fluxhound RPZ zone: 400000 policy records\n')).toBe(true);
        expect(text.endsWith('*.n199999.example CNAME .\n')).toBe(true);
        expect(text.split('\n')).toHaveLength(400_000 + 6);
      }
    }
    // Temp files of killed writers may stay (named .killed.rpz.PID.*.tmp); PATH itself is always whole.
  }, 120_000);
});
