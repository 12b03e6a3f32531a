/**
 * `fluxhound eval --intel FEED --input CAPTURE` end to end: a generated
 * capture (the evaluation corpus cut to a tenth, as a Zeek log) and a feed
 * built from its flux labels, each flux registered domain listed six hours
 * after its first lookup (a few an hour before it), two listed domains the
 * capture never asked for, and a bad line. The lead times come out as the
 * corpus says: six hours less the time fluxhound took to flag.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVAL_FORMATS, evalSpec, writeEvalCorpus } from '../src/corpus/eval.js';
import { populationLabels } from '../src/corpus/population.js';
import { SinkWriter } from '../src/corpus/writers/sink-writer.js';
import type { LeadTimeResult } from '../src/eval/intel-run.js';
import { matchKey } from '../src/eval/lead-time.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const H = 3600;
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-lead-'));
const firstLookup = new Map<string, number>();
const early = new Set<string>();
/** Slow-flux domains: flagged over hours of few lookups, not within the six hours. */
const slow = new Set<string>();
let fluxDomains: string[] = [];
let result: LeadTimeResult;
let status: number | null;

beforeAll(async () => {
  const spec = evalSpec();
  spec.traffic.records = 45_000;
  const sink = new SinkWriter({
    observe: (o) => {
      const key = matchKey(o.qname);
      if (!firstLookup.has(key)) firstLookup.set(key, o.ts);
    },
    skip: () => {},
  });
  const { population, traffic } = await writeEvalCorpus(dir, ['zeek'], spec, [sink]);
  const labels = populationLabels(population, traffic).filter((l) => l.role === 'query');
  fluxDomains = [...new Set(labels.filter((l) => l.flux !== null).map((l) => matchKey(l.name)))].sort();
  for (const l of labels) if (l.class === 'flux-slow') slow.add(matchKey(l.name));
  const lines = ['domain,listed_at'];
  fluxDomains.forEach((domain, i) => {
    const first = firstLookup.get(domain)!;
    if (i % 10 === 0) early.add(domain);
    lines.push(`${domain},${new Date((first + (early.has(domain) ? -H : 6 * H)) * 1000).toISOString()}`);
  });
  lines.push('never-asked-1.ru,2025-04-17T00:00:00Z', 'never-asked-2.top,1744848000', 'not a line');
  writeFileSync(join(dir, 'feed.csv'), lines.join('\n') + '\n');
  const r = spawnSync(process.execPath, [CLI, 'eval', '--intel', join(dir, 'feed.csv'), '--input', join(dir, EVAL_FORMATS.zeek), '--json'], { encoding: 'utf8', timeout: 120_000 });
  status = r.status;
  result = JSON.parse(r.stdout) as LeadTimeResult;
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fluxhound eval --intel', () => {
  it('reads the feed, skipping the bad line with its number', () => {
    expect(status).toBe(0);
    expect(result.feed).toMatchObject({ shape: 'csv', domains: fluxDomains.length + 2, skipped: 1, skippedSamples: [{ line: fluxDomains.length + 4 }] });
  });

  it('lead = listing − first flag: six hours less the time to flag, an hour late for the early listings', () => {
    const s = result.summary;
    // A tenth of the day: many flux domains are asked once or twice, with no answer to an AAAA query; most are still flagged.
    expect(s.inBoth).toBeGreaterThanOrEqual(0.6 * fluxDomains.length);
    for (const row of result.rows) {
      const first = firstLookup.get(row.domain)!;
      expect(row.flaggedAt, row.domain).toBeGreaterThanOrEqual(Math.floor(first));
      const listedAfter = early.has(row.domain) ? -H : 6 * H;
      expect(row.listedAt - first, row.domain).toBeCloseTo(listedAfter, 2);
      expect(row.leadSeconds, row.domain).toBeCloseTo(listedAfter - (row.flaggedAt - first), 2);
    }
    // Before the listing: listed six hours after the first lookup and flagged within those six hours.
    expect(s.flaggedBeforeListing).toBe(result.rows.filter((r) => !early.has(r.domain) && r.flaggedAt - firstLookup.get(r.domain)! < 6 * H).length);
    // Fast flux is flagged within the six hours; slow flux (a few lookups spread over the day) may take longer.
    const fast = result.rows.filter((r) => !early.has(r.domain) && !slow.has(r.domain));
    expect(fast.filter((r) => r.leadSeconds > 0).length).toBeGreaterThan(0.9 * fast.length);
    // Flagged on the first lookup or nearly: the median lead is about six hours.
    expect(s.medianLeadSeconds!).toBeGreaterThan(5.5 * H);
    expect(s.medianLeadSeconds!).toBeLessThanOrEqual(6 * H + 1);
  });

  it('reports listed domains never flagged, telling those the capture never held, and flags nothing unlisted', () => {
    const s = result.summary;
    expect(s.listedNeverFlagged).toBe(fluxDomains.length + 2 - s.inBoth);
    expect(s.listedSeenNeverFlagged).not.toContain('never-asked-1.ru');
    expect(s.listedSeenNeverFlagged).not.toContain('never-asked-2.top');
    expect(s.listedSeenNeverFlagged.length).toBeLessThanOrEqual(s.listedNeverFlagged - 2);
    expect(s.listedSeenNeverFlagged.every((d) => fluxDomains.includes(d))).toBe(true);
    expect(s.flaggedNotListed).toEqual([]);
  });

  it('prints a table', () => {
    const r = spawnSync(process.execPath, [CLI, 'eval', '--intel', join(dir, 'feed.csv'), '--input', join(dir, EVAL_FORMATS.zeek)], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toMatch(/skipped line \d+: expected 2 fields, found 1/);
    expect(r.stdout).toMatch(/^median lead time\s+\+\d h \d+ min$/m);
  }, 120_000);

  it('refuses --intel without --input, with a usage error', () => {
    const r = spawnSync(process.execPath, [CLI, 'eval', '--intel', join(dir, 'feed.csv')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--intel FEED and --input CAPTURE go together/);
  });
});

describe('fluxhound eval: usage errors, one line and exit 2', () => {
  it.each([
    [['--format', 'bogus'], /--format bogus: one of zeek, eve, pdns, pcap, dnstap, direct, all/],
    [['--seeds', '3-1'], /--seeds range '3-1' runs backwards/],
    [['--seeds', 'x'], /--seeds takes whole numbers and ranges/],
    [['--seed', '1', '--seeds', '2'], /--seed or --seeds, not both/],
    [['--seed', '-4'], /--seed takes a whole number/],
    [['--intel', 'feed.csv', '--input', 'x.log', '--format', 'bogus'], /not an input format/],
    [['--intel', 'feed.csv', '--input', 'x.log', '--seeds', '1'], /--seed, --seeds and --keep do not apply/],
    [['--intel', '/nonexistent/feed.csv', '--input', 'x.log'], /--intel \/nonexistent\/feed.csv: no such file/],
  ])('%j', (args, message) => {
    const r = spawnSync(process.execPath, [CLI, 'eval', ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
