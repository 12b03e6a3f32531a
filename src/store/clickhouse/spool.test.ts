import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchNumbers, Spool } from './spool.js';

const dirs: string[] = [];
function spoolDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-spool-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const body = (batch: number, rows: number): Buffer =>
  Buffer.from(Array.from({ length: rows }, (_, seq) => JSON.stringify({ sensor: 's1', batch, seq })).join('\n') + '\n');

describe('spool', () => {
  it('gives batches back oldest first, also after a restart, whatever order they were added in', async () => {
    const dir = spoolDir();
    const spool = Spool.open(dir, 1 << 20);
    await spool.add(12, 2, body(12, 2));
    await spool.add(10, 3, body(10, 3));
    await spool.add(11, 1, body(11, 1));
    const again = Spool.open(dir, 1 << 20);
    expect(again.size).toBe(3);
    expect(again.rowsHeld()).toBe(6);
    expect(again.bytes).toBe(spool.bytes);
    const seen: number[] = [];
    for (let entry = again.oldest(); entry !== null; entry = again.oldest()) {
      const read = await again.read(entry);
      expect(read?.body).toEqual(body(entry.batch, read!.rows));
      again.release();
      await again.remove(entry.batch);
      seen.push(entry.batch);
    }
    expect(seen).toEqual([10, 11, 12]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.batch'))).toEqual([]);
    expect(again.bytes).toBe(0);
  });

  it('skips and counts a torn file: a leftover temporary, a body that does not match its header', async () => {
    const dir = spoolDir();
    const spool = Spool.open(dir, 1 << 20);
    await spool.add(1, 2, body(1, 2));
    await spool.add(2, 2, body(2, 2));
    const second = join(dir, readdirSync(dir).sort()[1]!);
    // A bit flipped in the body (the header's checksum no longer matches).
    const data = readFileSync(second);
    data[data.length - 3] = data[data.length - 3]! ^ 0x01;
    writeFileSync(second, data);
    writeFileSync(join(dir, '0000000000000003.batch.tmp'), '{"fluxhound":"spool"');
    const reopened = Spool.open(dir, 1 << 20);
    expect(reopened.counts.torn).toBe(1);
    expect(reopened.size).toBe(2);
    const first = await reopened.read(reopened.oldest()!);
    expect(first?.rows).toBe(2);
    reopened.release();
    await reopened.remove(1);
    expect(await reopened.read(reopened.oldest()!)).toBeNull();
    expect(reopened.counts.torn).toBe(2);
    expect(reopened.size).toBe(0);
    expect(readdirSync(dir).filter((f) => f.includes('.batch'))).toEqual([]);
  });

  it('drops the oldest batches (counted, rows too) to take a new one when full, never the one being replayed', async () => {
    const dir = spoolDir();
    const one = body(1, 10).length + 100;
    const spool = Spool.open(dir, one * 3);
    for (const batch of [1, 2, 3]) expect(await spool.add(batch, 10, body(batch, 10))).toBe(true);
    const replaying = await spool.read(spool.oldest()!);
    expect(replaying).not.toBeNull();
    expect(await spool.add(4, 10, body(4, 10))).toBe(true);
    // Batch 1 is being replayed, so batch 2 made room.
    expect(spool.counts).toEqual({ torn: 0, droppedBatches: 1, droppedRows: 10 });
    spool.release();
    expect(await spool.add(5, 10, body(5, 10))).toBe(true);
    expect(spool.counts.droppedBatches).toBe(2);
    expect(spool.oldest()?.batch).toBe(3);
    expect(spool.bytes).toBeLessThanOrEqual(one * 3);
    // A batch larger than the whole spool is refused and counted, and drops nothing else.
    expect(await spool.add(6, 1000, body(6, 1000))).toBe(false);
    expect(spool.counts).toEqual({ torn: 0, droppedBatches: 3, droppedRows: 1020 });
    expect(spool.size).toBe(3);
  });
});

describe('batch numbers', () => {
  it('increase across restarts, above the spool and the clock, even when the clock goes back', () => {
    const dir = spoolDir();
    const first = new BatchNumbers(dir, -1, 5_000);
    expect(first.take()).toBe(5_000);
    expect(first.take()).toBe(5_001);
    // Restarted with the clock set back an hour: still above what the first run may have used.
    const second = new BatchNumbers(dir, -1, 1_000);
    expect(second.take()).toBeGreaterThan(5_001);
    // A spooled batch above the counter file (the file lost) wins too.
    rmSync(join(dir, 'next-batch'));
    expect(new BatchNumbers(dir, 90_000, 1_000).take()).toBe(90_001);
  });
});
