import { readFileSync } from 'node:fs';
import { fixture } from './fixtures.case.js';
import { describe, expect, it } from 'vitest';
import { textFormats } from './index.js';


describe('textFormats', () => {
  it.each([
    ['zeek/dns.log', 'zeek'],
    ['zeek/dns.json', 'zeek-json'],
    ['eve/dns-eve-type-filtering.v2.json', 'eve'],
    ['eve/dns-eve-type-filtering.v1.json', 'eve'],
    ['eve/bug-1158.v3.json', 'eve'],
    ['pdns/cof.json', 'pdns'],
    ['pdns/dnsdb-saf.json', 'pdns'],
  ])('%s is recognised by %s alone', (name, format) => {
    const head = fixture(name).subarray(0, 64 * 1024);
    expect(textFormats.filter((candidate) => candidate.sniff(head)).map((candidate) => candidate.name)).toEqual([format]);
  });

  it('has unique names and a description each', () => {
    expect(new Set(textFormats.map((format) => format.name)).size).toBe(textFormats.length);
    for (const format of textFormats) expect(format.description.length).toBeGreaterThan(10);
  });

  // As in CoreDNS, every plugin README has the same sections, and a test keeps them there.
  it.each(['README.md', 'zeek/README.md', 'eve/README.md', 'pdns/README.md'])('%s has the standard sections', (readme) => {
    const text = readFileSync(new URL(readme, import.meta.url), 'utf8');
    const headings = [...text.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    expect(headings).toEqual(['Name', 'Description', 'Syntax', 'Examples', 'Metrics']);
  });
});
