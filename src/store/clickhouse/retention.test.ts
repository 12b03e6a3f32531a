import { describe, expect, it } from 'vitest';
import { partitionKindOf, PARTITION_END_MS } from './retention.js';
import { schemaStatements } from './schema.js';

const date = (column: string) => (column === 'day' ? 'Date' : 'UInt64');

describe('retention: which partition keys are by time', () => {
  it('reads the keys the schema writes, old and new, as system.tables prints them', () => {
    expect(partitionKindOf('day', date)).toBe('day');
    expect(partitionKindOf('intDiv(bucket, 86400)', date)).toBe('epoch-day');
    expect(partitionKindOf('toYYYYMMDD(toDateTime(intDiv(recorded_ms, 1000)))', date)).toBe('day');
    // verdicts_local before retention: months, dropped once the whole month is past.
    expect(partitionKindOf('toYYYYMM(toDate(toDateTime(intDiv(recorded_ms, 1000))))', date)).toBe('month');
  });

  it('leaves alone keys it cannot bound in time', () => {
    expect(partitionKindOf('', date)).toBeNull();
    // A column that is not a Date: its values are no days.
    expect(partitionKindOf('batch', date)).toBeNull();
    // An explicit time zone: its days are not the server's, by which the bounds are computed.
    expect(partitionKindOf("toYYYYMMDD(toDateTime(intDiv(ts, 1000), 'UTC'))", date)).toBeNull();
    expect(partitionKindOf('intDiv(bucket, 3600)', date)).toBeNull();
    expect(partitionKindOf('(day, registered)', date)).toBeNull();
  });

  it('has a bound for every kind, and every table the schema partitions is one it can bound', () => {
    expect(Object.keys(PARTITION_END_MS).sort()).toEqual(['day', 'epoch-day', 'month']);
    const keys = schemaStatements({ database: 'fluxhound', cluster: 'fluxhound', bucketSeconds: 300 })
      .map((s) => / PARTITION BY (.+?) ORDER BY /.exec(s.replace(/\s+/g, ' '))?.[1])
      .filter((k): k is string => k !== undefined);
    expect(keys.length).toBeGreaterThanOrEqual(5);
    for (const key of keys) expect(partitionKindOf(key, date), key).not.toBeNull();
  });
});
