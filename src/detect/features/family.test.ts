import { describe, expect, it } from 'vitest';
import type { Features } from '../../model/verdict.js';
import { emptyFeatures, resetFeatures } from './family.js';

describe('resetFeatures', () => {
  it('puts back every feature emptyFeatures has, with its empty value (a feature added to one only fails here)', () => {
    const used = emptyFeatures() as unknown as Record<string, number | null>;
    for (const key of Object.keys(used)) used[key] = 7;
    const out = resetFeatures(used as unknown as Features);
    expect(out).toBe(used);
    expect(out).toEqual(emptyFeatures());
    expect(Object.keys(out)).toEqual(Object.keys(emptyFeatures()));
  });
});
