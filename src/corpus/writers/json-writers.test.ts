/** The eve and passive-DNS writers produce well-formed lines of their formats. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleSpec } from '../../../scripts/example.js';
import { generateCorpus } from '../generate.js';
import { EveDnsWriter, eveTimestamp } from './eve-dns.js';
import { PdnsCofWriter } from './pdns-cof.js';
import { TextOutput } from './writer.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-corpus-json-'));
const spec = exampleSpec();
let eve: Record<string, unknown>[] = [];
let pdns: Record<string, unknown>[] = [];

const parseLines = (file: string): Record<string, unknown>[] =>
  readFileSync(join(dir, file), 'latin1')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  await generateCorpus(spec, [
    new EveDnsWriter(TextOutput.toFile(join(dir, 'eve.json')), { seed: spec.seed }),
    new PdnsCofWriter(TextOutput.toFile(join(dir, 'pdns.json'))),
  ]);
  eve = parseLines('eve.json');
  pdns = parseLines('pdns.json');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('eve v3 writer', () => {
  it('writes one dns response event per exchange, in time order', () => {
    expect(eve.length).toBe(spec.traffic.records);
    let previous = '';
    for (const event of eve) {
      expect(event.event_type).toBe('dns');
      expect(event.src_port).toBe(53);
      const dns = event.dns as { version: number; type: string; queries: { rrname: string; rrtype: string }[]; answers?: unknown[] };
      expect(dns.version).toBe(3);
      expect(dns.type).toBe('response');
      expect(dns.queries).toHaveLength(1);
      expect(dns.answers === undefined || dns.answers.length > 0).toBe(true);
      const ts = String(event.timestamp);
      expect(ts > previous).toBe(true);
      previous = ts;
    }
  });

  it('formats timestamps as Suricata does', () => {
    expect(eveTimestamp(Date.UTC(2025, 3, 3, 0, 0, 3) / 1000 + 0.673493)).toBe('2025-04-03T00:00:03.673493+0000');
  });
});

describe('passive DNS COF writer', () => {
  it('writes RRset tuples with counts and first/last sightings', () => {
    expect(pdns.length).toBeGreaterThan(100);
    for (const t of pdns) {
      expect(typeof t.rrname).toBe('string');
      expect(Array.isArray(t.rdata) && (t.rdata as unknown[]).length > 0).toBe(true);
      expect(Number(t.time_first)).toBeLessThanOrEqual(Number(t.time_last));
      expect(Number(t.count)).toBeGreaterThanOrEqual(1);
    }
  });

  it('shows flux as many address sets under one name and CNAME links as their own tuples', () => {
    const aSets = new Map<string, number>();
    for (const t of pdns) if (t.rrtype === 'A') aSets.set(String(t.rrname), (aSets.get(String(t.rrname)) ?? 0) + 1);
    expect(Math.max(...aSets.values())).toBeGreaterThan(20);
    expect(pdns.some((t) => t.rrtype === 'CNAME' && String((t.rdata as string[])[0]).endsWith('.edgekey.net'))).toBe(true);
    expect(pdns.some((t) => t.rrtype === 'NS')).toBe(true);
  });
});
