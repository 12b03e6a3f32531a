import { describe, expect, it } from 'vitest';
import { partitionDrift } from './init.js';
import { schemaStatements } from './schema.js';

const statements = schemaStatements({ database: 'fluxhound', cluster: 'fluxhound', bucketSeconds: 300 });

describe('cluster init: tables an older fluxhound made', () => {
  it('names a table whose partition key differs from the schema (verdicts by month before retention), nothing else', () => {
    const found = new Map([
      ['observations_local', 'day'],
      ['name_windows_local', 'intDiv(bucket, 86400)'],
      ['verdicts_local', 'toYYYYMM(toDate(toDateTime(intDiv(recorded_ms, 1000))))'],
      ['networks_local', ''],
      ['observations', ''],
    ]);
    expect(partitionDrift(statements, found)).toEqual([
      { table: 'verdicts_local', found: 'toYYYYMM(toDate(toDateTime(intDiv(recorded_ms, 1000))))', schema: 'toYYYYMMDD(toDateTime(intDiv(recorded_ms, 1000)))' },
    ]);
  });

  it('says nothing for a database the schema made (keys reprinted with other spacing)', () => {
    const found = new Map([
      ['verdicts_local', 'toYYYYMMDD(toDateTime(intDiv(recorded_ms,1000)))'],
      ['domain_windows_local', 'intDiv(bucket,86400)'],
    ]);
    expect(partitionDrift(statements, found)).toEqual([]);
  });
});
