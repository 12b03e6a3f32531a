import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashName, NameTable } from './name-table.js';

describe('NameTable', () => {
  it('behaves like a Map under random sets, gets and deletes (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.string({ maxLength: 6 }), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.string({ maxLength: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const table = new NameTable<number>(4);
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            table.set(o.key, o.value);
            model.set(o.key, o.value);
          } else {
            expect(table.delete(o.key)).toBe(model.delete(o.key));
          }
          expect(table.size).toBe(model.size);
        }
        for (const [k, v] of model) expect(table.get(k)).toBe(v);
        expect([...table.values()].sort()).toEqual([...model.values()].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every key findable when deletes shift entries around a wrapped probe run', () => {
    const table = new NameTable<string>(8);
    const keys = Array.from({ length: 9 }, (_, i) => `name${i}.example`);
    for (const k of keys) table.set(k, k);
    for (let slot = 0; slot < table.capacity; slot++) {
      const k = table.keyAt(slot);
      if (k !== undefined && k.endsWith('3.example')) table.removeAt(slot);
    }
    for (const k of keys) expect(table.get(k)).toBe(k.endsWith('3.example') ? undefined : k);
  });

  it('never hashes to 0, the empty-slot marker', () => {
    fc.assert(fc.property(fc.string(), (s) => hashName(s) !== 0));
  });
});
