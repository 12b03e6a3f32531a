import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { awkTotals, fluxhoundTotals, formatFlowLogs, writeConnLog } from './flow-logs.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-flow-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('conn.log bench: both sides do the same work', () => {
  const path = join(dir, 'conn.log');
  const bytes = writeConnLog(path, 20_000, 3);

  it('writes a conn.log that fluxhound sniffs as zeek-conn and reads without a skip', async () => {
    expect(readFileSync(path).length).toBe(bytes);
    const totals = await fluxhoundTotals(path);
    expect(totals).toMatchObject({ format: 'zeek-conn', skipped: 0, records: 20_000 });
    expect(totals.destinations).toBeGreaterThan(1000);
  });

  it('awk -F\\t gives the same records, destinations and bytes per destination total', async () => {
    const [flux, awk] = await Promise.all([fluxhoundTotals(path), awkTotals(path)]);
    expect(awk).toEqual({ records: flux.records, destinations: flux.destinations, bytes: flux.bytes, cpuSeconds: expect.any(Number) as number });
  });

  it('the same seed gives the same file', () => {
    const again = join(dir, 'again.log');
    writeConnLog(again, 20_000, 3);
    expect(readFileSync(again).equals(readFileSync(path))).toBe(true);
  });

  it('prints both sides and the ratio', () => {
    const side = { label: 'x', seconds: [2, 1, 3], cpuSeconds: [1, 1, 1], medianSeconds: 2, medianCpuSeconds: 1, recordsPerSecond: 500, megabytesPerSecond: 10, recordsPerCpuSecond: 1000 };
    const text = formatFlowLogs({ records: 1000, bytes: 2e7, fluxhound: side, awk: { ...side, label: 'awk' }, ratio: 1, cpuRatio: 0.5, agree: true, failures: [] });
    expect(text).toMatch(/ratio fluxhound \/ awk: 1\.00× \(records\/s\), 0\.50× \(records per CPU second\); same totals on both sides/);
    expect(text).toMatch(/500 records\/s/);
  });
});
