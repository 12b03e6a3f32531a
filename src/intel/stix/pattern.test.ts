import { describe, expect, it } from 'vitest';
import { MAX_COMPARISONS, MAX_NESTING, MAX_PATTERN_LENGTH, readPattern } from './pattern.js';

/** [pattern, comparisons as 'path op value' (value null → '?'), or the refusal's reason]. */
const GOOD: Array<[string, string[]]> = [
  ["[domain-name:value = 'evil.example']", ["domain-name:value = evil.example"]],
  ["[ ipv4-addr:value = '10.0.0.0' ]", ['ipv4-addr:value = 10.0.0.0']],
  ["[ipv4-addr:value ISSUBSET '198.51.100.0/24']", ['ipv4-addr:value ISSUBSET 198.51.100.0/24']],
  ["[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1']", ['domain-name:value = a.example', 'ipv4-addr:value = 192.0.2.1']],
  ["[domain-name:value = 'a.example'] OR [ipv6-addr:value = '2001:db8::1']", ['domain-name:value = a.example', 'ipv6-addr:value = 2001:db8::1']],
  ["([domain-name:value = 'a.example'] OR ([ipv4-addr:value = '192.0.2.1']))", ['domain-name:value = a.example', 'ipv4-addr:value = 192.0.2.1']],
  ["[(domain-name:value = 'a.example' OR (domain-name:value = 'b.example'))]", ['domain-name:value = a.example', 'domain-name:value = b.example']],
  ["\t[domain-name:value\n=\r\n'a.example']  ", ['domain-name:value = a.example']],
  // Escapes: \' and \\ are undone; the value is the feed's text, judged later by the value rules.
  ["[domain-name:value = 'it\\'s.example']", ["domain-name:value = it's.example"]],
  ["[domain-name:value = 'back\\\\slash']", ['domain-name:value = back\\slash']],
  // Brackets, 'OR' and operators inside a string are text, not grammar.
  ["[domain-name:value = '] OR [ipv4-addr:value = 1']", ['domain-name:value = ] OR [ipv4-addr:value = 1']],
  // Other paths, operators and literals are read (so the caller can count them) but not used.
  ["[file:hashes.'SHA-256' = 'ef53']", ["file:hashes.'SHA-256' = ef53"]],
  ["[email-message:body_multipart[*].body_raw_ref.name MATCHES '^x\\\\.exe$']", ['email-message:body_multipart[*].body_raw_ref.name MATCHES ^x\\.exe$']],
  ["[domain-name:value NOT = 'a.example']", ['domain-name:value NOT = a.example']],
  ["[network-traffic:dst_port IN (80, 443)]", ['network-traffic:dst_port IN ?']],
  ["[file:created > t'2016-01-01T00:00:00Z']", ['file:created > ?']],
  ["[domain-name:value LIKE '%.example']", ['domain-name:value LIKE %.example']],
];

const REFUSED: Array<[string, string]> = [
  ["[domain-name:value = 'a' AND domain-name:value = 'b']", 'AND of comparisons unsupported'],
  ["[domain-name:value = 'a'] AND [ipv4-addr:value = '192.0.2.1']", 'AND of observations unsupported'],
  ["[domain-name:value = 'a'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.1']", 'FOLLOWEDBY of observations unsupported'],
  ["[domain-name:value = 'a'] WITHIN 300 SECONDS", 'qualifier WITHIN unsupported'],
  ["[domain-name:value = 'a'] REPEATS 5 TIMES", 'qualifier REPEATS unsupported'],
  ["[domain-name:value = 'a'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", 'qualifier START unsupported'],
  ["([domain-name:value = 'a'] OR [domain-name:value = 'b']) WITHIN 5 SECONDS", 'qualifier WITHIN unsupported'],
  // Hostile or broken text.
  ["[domain-name:value = 'a.example]", 'pattern string is not closed (opened at 21)'],
  ["[domain-name:value = 'a.example'", 'pattern ends too early'],
  ["[domain-name:value = 'a.example']]", "pattern has unexpected ']' at 33"],
  ["[domain-name:value = 'a.example'] [domain-name:value = 'b']", "pattern has unexpected '[' at 34"],
  ["[domain-name:value = 'a\\x']", 'pattern string has a bad escape at 23'],
  ['[domain-name:value = "a.example"]', 'pattern has an unexpected character (code 34) at 21'],
  ["[domain-name:value = 'a'\u0000]", 'pattern has an unexpected character (code 0) at 24'],
  ["[domain-name:value = 'a'];DROP", 'pattern has an unexpected character (code 59) at 25'],
    // 'a' reads as a quoted path step; the comparison then lacks its operator.
  ["[domain-name:value 'a']", "pattern has unexpected ']' at 22"],
  ['', 'pattern ends too early'],
  ["['a' = 'b']", "pattern has unexpected 'a' at 1"],
  ["[value = 'a']", "pattern has unexpected '=' at 7"],
  ["[domain-name:value ! 'a']", "pattern has '!' without '=' at 19"],
];

describe('readPattern', () => {
  it.each(GOOD)('reads %j', (pattern, expected) => {
    const reading = readPattern(pattern);
    if (!reading.ok) throw new Error(reading.reason);
    expect(reading.comparisons.map((c) => `${c.path} ${c.negated ? 'NOT ' : ''}${c.operator} ${c.value ?? '?'}`)).toEqual(expected);
  });

  it.each(REFUSED)('refuses %j', (pattern, reason) => {
    expect(readPattern(pattern)).toEqual({ ok: false, reason });
  });

  it('keeps a NUL inside a string as text (the value rules refuse it later)', () => {
    const reading = readPattern("[domain-name:value = 'a\u0000.example']");
    expect(reading.ok && reading.comparisons[0]!.value).toBe('a\u0000.example');
  });

  it('is bounded: length, comparisons and nesting', () => {
    expect(readPattern(`[domain-name:value = '${'a'.repeat(MAX_PATTERN_LENGTH)}']`)).toEqual({
      ok: false, reason: `pattern longer than ${MAX_PATTERN_LENGTH} characters`,
    });
    const many = Array.from({ length: MAX_COMPARISONS + 1 }, (_, i) => `domain-name:value = 'n${i}.example'`).join(' OR ');
    expect(readPattern(`[${many}]`)).toEqual({ ok: false, reason: `pattern has more than ${MAX_COMPARISONS} comparisons` });
    const exactly = Array.from({ length: MAX_COMPARISONS }, (_, i) => `domain-name:value = 'n${i}.example'`).join(' OR ');
    const reading = readPattern(`[${exactly}]`);
    expect(reading.ok && reading.comparisons.length).toBe(MAX_COMPARISONS);
    const deep = `${'('.repeat(MAX_NESTING)}[domain-name:value = 'a']${')'.repeat(MAX_NESTING)}`;
    expect(readPattern(deep)).toEqual({ ok: false, reason: `pattern nests deeper than ${MAX_NESTING}` });
    const deepest = `${'('.repeat(MAX_NESTING - 1)}[domain-name:value = 'a']${')'.repeat(MAX_NESTING - 1)}`;
    expect(readPattern(deepest).ok).toBe(true);
    // A nesting bomb far past the cap stops at the cap instead of overflowing the stack.
    expect(readPattern('('.repeat(60000)).ok).toBe(false);
  });
});
