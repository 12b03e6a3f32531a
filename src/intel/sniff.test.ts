import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sniffKind } from './sniff.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'cti', 'sniff');

describe('sniffKind', () => {
  it.each([
    ['{"type":"bundle","id":"bundle--1","objects":[]}', 'stix'],
    ['{"Event":{"info":"flux","Attribute":[]}}', 'misp'],
    ['{"5f0a2c9e-0000-4000-8000-000000000001":{"info":"x","Orgc":{"name":"o"},"timestamp":"1"}}', 'misp'],
    ['$TTL 300\n$ORIGIN rpz.example.\n', 'rpz'],
    ['@ IN SOA ns. host. 1 2 3 4 5\nbad.example CNAME .\n', 'rpz'],
    ['# header comment\nid,domain,first_seen\n1,bad.example,2026\n', 'csv'],
    ['# a list\nbad.example\n192.0.2.1\n', 'list'],
    ['0.0.0.0 ads.example\n', 'list'],
    ['', null],
    ['\u0000\u0001binary', null],
    ['{"type":"bundle"', null],
    ['{"a":1}', null],
  ])('%j → %s', (text, kind) => {
    expect(sniffKind(bytes(text))).toBe(kind);
  });

  it('judges a big JSON document by its head', () => {
    const big = `{"type": "bundle", "id": "bundle--x", "objects": [${'{"type":"x"},'.repeat(10_000)}{}]}`;
    expect(sniffKind(bytes(big))).toBe('stix');
  });

  it('knows the real STIX bundle and MISP event in the fixtures', () => {
    expect(sniffKind(readFileSync(join(FIXTURES, 'stix-bundle.json')))).toBe('stix');
    expect(sniffKind(readFileSync(join(FIXTURES, 'misp-event.json')))).toBe('misp');
  });
});
