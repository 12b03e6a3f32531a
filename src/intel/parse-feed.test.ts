import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEED_PARSERS, parseFeed, parseFeedInSlices } from './parse-feed.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const fixture = (p: string): Uint8Array => readFileSync(new URL(`../../test/fixtures/cti/${p}`, import.meta.url));

describe('parseFeed', () => {
  it('one registry of content kinds', () => {
    expect(Object.keys(FEED_PARSERS)).toEqual(['list', 'csv', 'rpz', 'stix', 'misp']);
  });

  it('reads each kind named, and sniffs the kind when none is', () => {
    expect(parseFeed(enc('\uFEFFflux.example\n185.100.87.9\n'), 'a.txt', { kind: null })).toMatchObject({ kind: 'list', entries: [{ value: 'flux.example' }, { value: '185.100.87.9' }] });
    expect(parseFeed('id,host\n1,flux.example\n', 'a.csv', { kind: 'csv', column: 'host' })).toMatchObject({ kind: 'csv', entries: [{ value: 'flux.example' }] });
    expect(parseFeed('$ORIGIN rpz.example.\nflux.example CNAME .\n', 'a.rpz', { kind: null })).toMatchObject({ kind: 'rpz', entries: [{ value: 'flux.example' }] });
    const stix = parseFeed(fixture('sniff/stix-bundle.json'), 'b.json', { kind: null });
    expect(stix.kind).toBe('stix');
    const misp = parseFeed(fixture('sniff/misp-event.json'), 'e.json', { kind: null });
    expect(misp.kind).toBe('misp');
  });

  it('never throws: unknown content, a csv without its column, a taxii kind, a warninglist without its reader', () => {
    expect(parseFeed(enc('\u0000\u0001\u0002'), 'junk', { kind: null })).toMatchObject({ kind: null, entries: [], skipped: [{ position: 'junk', reason: expect.stringMatching(/not recognised/) }] });
    expect(parseFeed('{"hello": 1}', 'x.json', { kind: null }).kind).toBeNull();
    expect(parseFeed('a,b\n1,2\n', 'x.csv', { kind: 'csv' }).skipped[0]!.reason).toMatch(/needs its column/);
    expect(parseFeed('a,b\n1,2\n', 'x.csv', { kind: 'csv', column: 0 }).skipped[0]!.reason).toMatch(/column/);
    expect(parseFeed('x', 't', { kind: 'taxii' }).skipped[0]!.reason).toMatch(/fetched from its server/);
    expect(parseFeed('{}', 'w.json', { kind: 'warninglist' }).skipped[0]!.reason).toMatch(/allowlist: it extends the reference lists/);
  });
});

describe('parseFeedInSlices', () => {
  it('gives what parseFeed gives (refs, skips), pausing between slices of a big list', async () => {
    const lines: string[] = ['# a big feed'];
    for (let i = 0; i < 150_000; i++) lines.push(i % 1000 === 7 ? 'two values' : `flux-${i}.example`);
    const text = lines.join('\n') + '\n';
    let pauses = 0;
    const sliced = await parseFeedInSlices(enc(text), 'big.txt', { kind: null }, async () => void pauses++);
    const whole = parseFeed(text, 'big.txt', { kind: 'list' });
    expect(pauses).toBeGreaterThan(0);
    expect(sliced.kind).toBe('list');
    expect(sliced.entries).toEqual(whole.entries);
    expect(sliced.skipped).toEqual(whole.skipped);
    expect(sliced.entries.at(-1)!.ref).toBe('big.txt:150001');
  });

  it('other kinds, and small lists, are parsed in one piece', async () => {
    let pauses = 0;
    const small = await parseFeedInSlices('flux.example\n', 'a.txt', { kind: null }, async () => void pauses++);
    expect(small).toMatchObject({ kind: 'list', entries: [{ value: 'flux.example', ref: 'a.txt:1' }] });
    const csv = await parseFeedInSlices('id,host\n1,flux.example\n', 'a.csv', { kind: 'csv', column: 'host' }, async () => void pauses++);
    expect(csv.entries.map((e) => e.value)).toEqual(['flux.example']);
    expect(pauses).toBe(0);
  });
});
