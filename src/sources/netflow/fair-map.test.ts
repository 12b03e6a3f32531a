import { describe, expect, it } from 'vitest';
import { exporterOfDomain, FairMap } from './fair-map.js';
import { TemplateCache } from './templates.js';

describe('FairMap', () => {
  it('beyond its cap, the exporter holding the most loses its oldest', () => {
    const map = new FairMap<number>(4, exporterOfDomain);
    map.set('a:1/0', 1);
    for (let d = 0; d < 10; d++) map.set(`b:2/${d}`, d);
    expect(map.size).toBe(4);
    expect([...map.entries()].map(([k]) => k)).toEqual(['a:1/0', 'b:2/7', 'b:2/8', 'b:2/9']);
  });

  it('an entry set again is the newest of its exporter', () => {
    const map = new FairMap<number>(3, exporterOfDomain);
    map.set('b:2/0', 0);
    map.set('b:2/1', 1);
    map.set('b:2/0', 5);
    map.set('b:2/2', 2);
    expect([...map.entries()]).toEqual([['b:2/1', 1], ['b:2/0', 5], ['b:2/2', 2]]);
    map.set('b:2/3', 3);
    expect(map.has('b:2/1')).toBe(false);
    expect(map.get('b:2/0')).toBe(5);
  });

  it('delete forgets the key and its exporter when it was the last', () => {
    const map = new FairMap<number>(2, exporterOfDomain);
    map.set('a:1/0', 1);
    expect(map.delete('a:1/0')).toBe(true);
    expect(map.delete('a:1/0')).toBe(false);
    map.set('b:2/0', 1);
    map.set('b:2/1', 1);
    map.set('c:3/0', 1);
    expect([...map.entries()].map(([k]) => k)).toEqual(['b:2/1', 'c:3/0']);
  });

  it('a flood of observation domains with sampling rates keeps another exporter\'s rate', () => {
    const cache = new TemplateCache({ maxTemplates: 100 });
    cache.setSampling('192.0.2.1:2055/0', 1000);
    for (let d = 0; d < 10_000; d++) cache.setSampling(`192.0.2.66:9999/${d}`, 1);
    expect(cache.samplingOf('192.0.2.1:2055/0')).toBe(1000);
  });
});
