import { describe, expect, it } from 'vitest';
import { domainPattern, stixString } from './pattern.js';

/** A reader of `[domain-name:value = '...']` written from the grammar (STIX 2.1, 9.2), not from stixString. */
function patternValue(pattern: string): string | null {
  const m = /^\[domain-name:value = '((?:[^'\\]|\\['\\])*)'\]$/.exec(pattern);
  return m === null ? null : m[1]!.replace(/\\(['\\])/g, '$1');
}

describe('STIX pattern literals', () => {
  it('quotes a plain name as is', () => {
    expect(domainPattern('www.flux.example')).toBe("[domain-name:value = 'www.flux.example']");
  });

  it.each([
    "it's.example",
    'back\\slash.example',
    "x' OR [ipv4-addr:value = '0.0.0.0/0'] OR [domain-name:value = 'y",
    "end\\'.example",
    '\\\\\\',
    "'",
    'brackets].[x.example',
    'name\\032with\\046escapes.example',
  ])('round-trips the hostile name %j and adds no comparison', (name) => {
    const pattern = domainPattern(name);
    expect(patternValue(pattern)).toBe(name);
    // The whole pattern is one literal: no quote ends it early.
    expect(pattern.replace(/\\['\\]/g, '').split("'").length).toBe(3);
  });

  it('escapes only backslash and quote', () => {
    expect(stixString("a\\b'c\"d")).toBe("'a\\\\b\\'c\"d'");
  });
});
