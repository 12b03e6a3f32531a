import { describe, expect, it } from 'vitest';
import { fileStamp, parseFileStamp, parseReportTime } from './period.js';

const NOW = new Date('2026-12-05T12:00:00.000Z');
const at = (iso: string): number => Date.parse(iso) / 1000;

describe('parseReportTime', () => {
  it.each([
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T08:30', '2026-12-01T08:30:00.000Z'],
    ['2026-12-01 08:30:15', '2026-12-01T08:30:15.000Z'],
    ['2026-12-01T08:30:15.250Z', '2026-12-01T08:30:15.250Z'],
    ['2026-12-01T10:30:00+02:00', '2026-12-01T08:30:00.000Z'],
    ['2026-12-01T10:30:00+0200', '2026-12-01T08:30:00.000Z'],
    ['24h', '2026-12-04T12:00:00.000Z'],
    ['7d', '2026-11-28T12:00:00.000Z'],
    ['90m', '2026-12-05T10:30:00.000Z'],
    ['2w', '2026-11-21T12:00:00.000Z'],
    ['30s', '2026-12-05T11:59:30.000Z'],
  ])('%s → %s (UTC, whatever TZ says)', (text, iso) => {
    expect(parseReportTime(text, NOW, 'report: --since')).toBe(at(iso));
  });

  it.each(['', 'yesterday', '1', '7', '7y', '-7d', '2026-13-01', '2026-12-01T25:00', '12/01/2026', '2026-12-01T08:30:00Zjunk'])('refuses %j in one line naming the flag', (text) => {
    expect(() => parseReportTime(text, NOW, 'report: --since')).toThrow(/^report: --since takes an ISO 8601 date or time/);
  });
});

describe('file stamps', () => {
  it('round-trip in ISO 8601 basic format (no colons in file names)', () => {
    expect(fileStamp(at('2026-11-30T00:00:00Z'))).toBe('20261130T000000Z');
    expect(parseFileStamp('20261130T000000Z')).toBe(at('2026-11-30T00:00:00Z'));
    expect(parseFileStamp('2026-11-30')).toBeNull();
  });
});
