import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { analyzeWorkers, parseWorkers, serveWorkers } from './workers.js';

describe('--workers', () => {
  it('takes auto or 1..64, else a usage error naming the command', () => {
    expect(parseWorkers('analyze', 'auto')).toBe('auto');
    expect(parseWorkers('analyze', '3')).toBe(3);
    for (const bad of ['0', '65', '2.5', 'many', '']) expect(() => parseWorkers('serve', bad)).toThrow(UsageError);
    expect(() => parseWorkers('serve', 'x')).toThrow(/^serve: --workers/);
  });
  it("analyze's auto is every core (at most 16) from 4 cores, one thread below; N is N", () => {
    expect(analyzeWorkers('auto', 2)).toBe(1);
    expect(analyzeWorkers('auto', 3)).toBe(1);
    expect(analyzeWorkers('auto', 4)).toBe(4);
    expect(analyzeWorkers('auto', 64)).toBe(16);
    expect(analyzeWorkers(2, 2)).toBe(2);
  });
  it("serve's auto is one thread, with the reason", () => {
    expect(serveWorkers('auto')).toMatchObject({ count: 1 });
    expect(serveWorkers('auto').note).toMatch(/one thread/);
    expect(serveWorkers(3)).toEqual({ count: 3, note: null });
  });
});
