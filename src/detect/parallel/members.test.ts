import { describe, expect, it } from 'vitest';
import { mergeMembers, type AddressFact } from './members.js';

const fact = (address: string, asn: number | null = 64500): AddressFact => ({ address, asn, country: 'NL' });
const lookup = (address: string): AddressFact => ({ address, asn: null, country: null });

describe('mergeMembers (a network spread over partitions)', () => {
  it('lists edges by sample domain, facts from edges first, then from the graph, at most limit', () => {
    const parts = [
      { id: 'fn-1', domains: [], addresses: [fact('198.51.100.3'), fact('198.51.100.9')], edges: [{ domain: 'b.example', address: '198.51.100.3' }] },
      null,
      { id: 'fn-1', domains: [], addresses: [fact('198.51.100.1', 64501)], edges: [{ domain: 'a.example', address: '198.51.100.1' }, { domain: 'a.example', address: '198.51.100.3' }] },
    ];
    const merged = mergeMembers('fn-1', ['a.example', 'b.example'], parts, ['198.51.100.7', '198.51.100.9'], lookup, 3);
    expect(merged).toEqual({
      id: 'fn-1',
      domains: ['a.example', 'b.example'],
      edges: [
        { domain: 'a.example', address: '198.51.100.1' },
        { domain: 'a.example', address: '198.51.100.3' },
        { domain: 'b.example', address: '198.51.100.3' },
      ],
      // No part described 198.51.100.7: looked up.
      addresses: [fact('198.51.100.1', 64501), fact('198.51.100.3'), lookup('198.51.100.7')],
    });
    expect(mergeMembers('fn-1', ['a.example'], [null, null], [], lookup, 10)).toEqual({ id: 'fn-1', domains: ['a.example'], edges: [], addresses: [] });
  });
});
