import { describe, expect, it } from 'vitest';
import { decode, observationsOf, skipsOf } from '../src/sources/conformance.case.js';
import { encodeDnstapFile } from '../test/support/dnstap-encode.js';
import { dnstapFormat } from '../src/sources/dnstap/index.js';
import { framePool, formatDnstap } from './dnstap.js';

describe('dnstap bench load', () => {
  it('is made of frames that each decode to one observation', () => {
    const frames = framePool(3000, 5);
    const outcomes = decode(dnstapFormat, [encodeDnstapFile(frames)]);
    expect(skipsOf(outcomes)).toEqual([]);
    const observations = observationsOf(outcomes);
    expect(observations).toHaveLength(3000);
    const kinds = new Set(observations.map((o) => (o.rcode === 'NXDOMAIN' ? 'nx' : (o.answers[0]?.type ?? 'none'))));
    expect([...kinds].sort()).toEqual(['A', 'AAAA', 'CNAME', 'nx']);
    expect(observations.some((o) => o.answers.length === 8)).toBe(true);
  });

  it('formats medians per connection count', () => {
    const text = formatDnstap({ cases: [{ connections: 8, messages: 1000, rates: [1, 2, 3], medianRate: 123456.7, frameBytes: 201, receiverRssBytes: 150e6 }], failures: ['x'] });
    expect(text).toContain('8 connection(s):   123,457 messages/s (median of 3; 1,000 messages of ~201 B; receiver RSS 150 MB)');
    expect(text).toContain('FAILED: x');
  });
});
