/**
 * Issue 15, Proof: hostile feeds are survived with clear errors, by the
 * built CLI as an operator runs it. One `analyze --intel` run takes a list
 * with a 10 MB line, a STIX bundle cut off mid-JSON, a STIX bundle whose
 * patterns try to inject (a second comparison through a quote, a zone
 * directive, markup, NUL, a statement after the pattern) and a million junk
 * lines: the run succeeds, each feed gets one summary line with its counts
 * and the first skips with their positions, the usable entries still work,
 * and nothing a feed says reaches the RPZ zone or the JSON as anything but
 * one escaped name.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fluxhound, ROOT, requireBuilt, type CliRun } from './support/cli.js';
import { parseZone } from './support/parse-zone.js';

const EXAMPLE = join(ROOT, 'examples', 'example.dns.log');
let dir = '';
let run: CliRun;
let zone = '';

function indicator(n: number, pattern: string): object {
  return { type: 'indicator', spec_version: '2.1', id: `indicator--00000000-0000-4000-8000-00000000000${n}`, created: '2026-12-01T00:00:00.000Z', modified: '2026-12-01T00:00:00.000Z', pattern, pattern_type: 'stix', valid_from: '2026-12-01T00:00:00Z' };
}

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-intel-hostile-'));
  writeFileSync(join(dir, 'huge.txt'), `paper-drive.com\n${'a'.repeat(10_000_000)}\nflux-two.example\n`);
  writeFileSync(join(dir, 'broken.json'), '{"type": "bundle", "id": "bundle--1", "objects": [{"type": "indicator", "pattern": "[domain-name:value = \'x.example\'');
  const injections = [
    // A quote escaped the STIX way stays inside the literal: one (odd) name, no second comparison.
    "[domain-name:value = 'evil.example\\' OR domain-name:value = \\'com']",
    "[domain-name:value = 'evil.example\n$INCLUDE /etc/passwd']",
    "[domain-name:value = '<script>alert(1)</script>.example']",
    "[domain-name:value = 'nul\u0000.example']",
    "[domain-name:value = 'ok-inject.example'];DROP TABLE intel",
    "[domain-name:value = 'good-one.example' OR file:name = 'x.exe']",
  ];
  writeFileSync(join(dir, 'inject.json'), JSON.stringify({ type: 'bundle', id: 'bundle--00000000-0000-4000-8000-000000000000', objects: injections.map((p, i) => indicator(i, p)) }));
  // A million bad lines, then one good one: read to the end, reported in a few lines.
  writeFileSync(join(dir, 'million.txt'), `${'bad..name\n'.repeat(1_000_000)}after-the-junk.example\n`);
  zone = join(dir, 'out.rpz');
  run = await fluxhound([
    'analyze', '--json', '--rpz', zone,
    '--intel', `${join(dir, 'huge.txt')},name=huge,action=block`,
    '--intel', `${join(dir, 'broken.json')},name=broken,kind=stix`,
    '--intel', `${join(dir, 'inject.json')},name=inject,action=block`,
    '--intel', `${join(dir, 'million.txt')},name=million`,
    EXAMPLE,
  ]);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hostile intel feeds (analyze --intel, the built CLI)', () => {
  it('the run goes on: exit 0, one summary line per feed with its counts', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^intel huge \(list, .*huge\.txt\): 2 accepted, 1 skipped/m);
    expect(run.stderr).toMatch(/^ {2}skipped .*huge\.txt:2: line longer than 4096 characters/m);
    // Nothing usable is a failed load (a previous copy would be kept): one log line and the summary, with V8's position.
    expect(run.stderr).toMatch(/^fluxhound: intel feed broken: nothing usable: .*broken\.json: not JSON: .* at position \d+; no copy to use$/m);
    expect(run.stderr).toMatch(/^intel broken \(stix, .*broken\.json\): no copy: nothing usable/m);
    expect(run.stderr).toMatch(/^intel million \(list, .*million\.txt\): 1 accepted, 1,000,000 skipped/m);
    expect(run.stderr).toMatch(/^ {2}skipped .*million\.txt:1: not a domain name/m);
    // A million bad lines are reported as their first few positions, not a million lines.
    expect(run.stderr.split('\n').length).toBeLessThan(200);
  });

  it('an injection attempt in a pattern is one literal name or a counted skip, never a second trigger', () => {
    // Used: good-one.example (its file:name comparison skipped) and the markup name as one escaped literal.
    // Skipped, each with its indicator id: the quote trick (a name with a quote and spaces), the newline, the NUL,
    // the statement after the pattern (a character the grammar lacks), the file:name comparison.
    expect(run.stderr).toMatch(/^intel inject \(stix, .*inject\.json\): 2 accepted, 5 skipped, refused none$/m);
    for (const n of [0, 1, 3]) expect(run.stderr).toMatch(new RegExp(`^ {2}skipped .*inject\\.json:.*indicator--0{8}-0{4}-4000-8000-0{11}${n}: not a domain name`, 'm'));
    const verdicts = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { domain: string; intel?: Array<{ feed: string }> });
    // 'com' never became an entry: nothing under it is listed by this feed.
    expect(verdicts.filter((v) => v.intel?.some((l) => l.feed === 'inject'))).toEqual([]);
    expect(verdicts.find((v) => v.domain === 'paper-drive.com')?.intel?.[0]?.feed).toBe('huge');
  });

  it('the RPZ zone stays a zone: every owner one escaped name, no directive, no markup', () => {
    const text = readFileSync(zone, 'utf8');
    expect(text).not.toMatch(/^\$INCLUDE/m);
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('\u0000');
    const parsed = parseZone(text);
    expect(parsed.records.length).toBeGreaterThan(0);
    expect(text).toContain('paper-drive.com');
  });
});
