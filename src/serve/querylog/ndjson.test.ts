/**
 * The NDJSON sink on a real file: one JSON line per entry in order, in both
 * field sets; a bounded queue that drops and counts; reopen after logrotate
 * moved the file; a write error counted, not thrown; a path that cannot be
 * opened refused at start in one line.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { intelListingVerdict } from '../../detect/intel-verdict.js';
import { ruleOf, type QueryLogEntry } from '../../model/query-log.js';
import { NdjsonSink } from './ndjson.js';
import { ndjsonLine, nest, ecsPairs } from './fields.js';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-ndjson-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function entry(i: number, over: Partial<QueryLogEntry> = {}): QueryLogEntry {
  return { ts: 1764930030.456 + i, client: '192.0.2.7', customer: null, name: `n${i}.example`, qtype: 'A', action: 'pass', rcode: 'NOERROR', domain: null, verdict: null, score: null, rule: null, reason: null, ...over };
}

function lines(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

describe('NdjsonSink', () => {
  it('appends one line per entry, in order, the entry itself', async () => {
    const path = join(tempDir(), 'q.ndjson');
    const sink = new NdjsonSink(path, 100_000, 'fluxhound', log);
    await sink.start();
    const entries = Array.from({ length: 10_000 }, (_, i) => entry(i));
    for (const e of entries) sink.push(e);
    await sink.drained();
    expect(lines(path)).toEqual(entries);
    expect(sink.stats).toEqual({ written: 10_000, dropped: 0, errors: 0 });
    // Appended, not truncated, when opened again.
    await sink.stop();
    const again = new NdjsonSink(path, 100, 'fluxhound', log);
    await again.start();
    again.push(entry(10_000));
    await again.stop();
    expect(lines(path)).toHaveLength(10_001);
  });

  it('writes ECS documents, nested, when fields is ecs', async () => {
    const path = join(tempDir(), 'q.ndjson');
    const sink = new NdjsonSink(path, 100, 'ecs', log);
    await sink.start();
    const blocked = entry(0, { customer: 'acme', action: 'sinkhole', domain: 'flux.example', verdict: 'suspicious', score: 41, rule: 'denylist', reason: 'ticket 7' });
    sink.push(blocked);
    await sink.stop();
    expect(lines(path)).toEqual([
      {
        '@timestamp': '2025-12-05T10:20:30.456Z',
        ecs: { version: '8.11.0' },
        event: { kind: 'event', category: ['network'], type: ['protocol', 'denied'], action: 'sinkhole', dataset: 'fluxhound.querylog', risk_score: 41 },
        observer: { product: 'fluxhound' },
        client: { ip: '192.0.2.7' },
        dns: { question: { name: 'n0.example', type: 'A' }, response_code: 'NOERROR' },
        organization: { id: 'acme' },
        rule: { name: 'denylist', description: 'ticket 7' },
        threat: { indicator: { type: 'domain-name', name: 'flux.example', url: { domain: 'flux.example' }, confidence: 'Medium' } },
        labels: { verdict: 'suspicious' },
      },
    ]);
    expect(nest(ecsPairs(entry(1, { action: 'exposed', rcode: null })))).toMatchObject({ event: { kind: 'alert', type: ['info'] }, dns: { question: { name: 'n1.example' } } });
    expect(ndjsonLine(entry(2), 'fluxhound').endsWith('}\n')).toBe(true);
  });

  it("names the feed of an intel rule's entry in ECS threat.feed.name, read from the listing's reason", () => {
    const listing = { feed: 'partner-a', ref: 'indicator--8e2e2d2b (x)', kind: 'domain' as const, value: 'flux.example', note: 'C2 (botnet)', confidence: 80, action: 'block' as const };
    for (const feed of ['partner-a', 'taxii:soc.acme']) {
      const reason = ruleOf(intelListingVerdict('www.flux.example', { ...listing, feed }, 1_700_000_000)).reason;
      const doc = nest(ecsPairs(entry(3, { action: 'nxdomain', domain: 'flux.example', verdict: 'fast-flux', score: 80, rule: 'intel', reason })));
      expect(doc).toMatchObject({ rule: { name: 'intel', description: reason }, threat: { feed: { name: feed } } });
    }
    expect(nest(ecsPairs(entry(4, { rule: 'verdict', reason: 'listed by intel feed x (entry y)' })))).not.toHaveProperty('threat.feed');
  });

  it('drops and counts what does not fit in maxPending, never more memory', async () => {
    const path = join(tempDir(), 'q.ndjson');
    const sink = new NdjsonSink(path, 100, 'fluxhound', log);
    await sink.start();
    // Pushed in one go: nothing can be written before the queue is full.
    for (let i = 0; i < 250; i++) sink.push(entry(i));
    expect(sink.pending).toBe(100);
    await sink.stop();
    expect(sink.stats).toEqual({ written: 100, dropped: 150, errors: 0 });
    expect(lines(path)).toHaveLength(100);
  });

  it('reopens the path after logrotate moved the file: old lines stay, new ones start the new file', async () => {
    const dir = tempDir();
    const path = join(dir, 'q.ndjson');
    const sink = new NdjsonSink(path, 1000, 'fluxhound', log);
    await sink.start();
    sink.push(entry(0));
    await sink.drained();
    renameSync(path, `${path}.1`);
    sink.push(entry(1)); // still the moved file: not reopened yet
    await sink.drained();
    sink.reopen(path);
    sink.push(entry(2));
    await sink.stop();
    expect(lines(`${path}.1`)).toEqual([entry(0), entry(1)]);
    expect(lines(path)).toEqual([entry(2)]);
    expect(sink.reopened).toBe(1);
  });

  it('refuses a path it cannot open at start, in one line', async () => {
    const sink = new NdjsonSink(join(tempDir(), 'no', 'such', 'dir.ndjson'), 100, 'fluxhound', log);
    await expect(sink.start()).rejects.toThrow(/^querylog: cannot open .*dir\.ndjson: ENOENT$/);
  });

  it('keeps the old file when a reopen fails, and counts it', async () => {
    const dir = tempDir();
    const path = join(dir, 'q.ndjson');
    const sink = new NdjsonSink(path, 100, 'fluxhound', log);
    await sink.start();
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    sink.reopen(join(locked, 'sub', 'q.ndjson'));
    sink.push(entry(0));
    await sink.stop();
    expect(sink.stats.errors).toBe(1);
    expect(lines(path)).toEqual([entry(0)]);
  });
});
