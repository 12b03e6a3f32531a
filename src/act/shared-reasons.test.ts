import { describe, expect, it } from 'vitest';
import { addressReason } from '../detect/intel-evidence.js';
import { listingReason } from '../detect/intel-verdict.js';
import type { IntelListing } from '../model/verdict.js';
import { SHARED_ADDRESS_REASON, SHARED_NAME_REASON, sharedReasons } from './shared-reasons.js';

const posted: IntelListing = {
  feed: 'taxii:P1',
  ref: 'indicator--0b4b9a3c-2f43-4a55-9c3b-3f2e7d5a8b01',
  kind: 'cidr',
  value: '198.51.100.0/24',
  note: 'from our incident 4711 at ACME',
  confidence: 85,
  action: 'block',
};

describe('sharedReasons', () => {
  it('rewrites every intel reason (address, network, the name itself, with a note) to say only that a feed lists it', () => {
    const reasons = [
      '40 IPs in 12 ASNs',
      `${addressReason('198.51.100.7', posted)}; ${addressReason('203.0.113.9', { ...posted, kind: 'address', value: '203.0.113.9' })}; and 2 more listed addresses`,
      '3 addresses listed by intel feeds as flux infrastructure',
      listingReason({ ...posted, kind: 'domain', value: 'flux.example' }, 'www.flux.example'),
      'TTL 60 s',
    ];
    const shared = sharedReasons(reasons);
    expect(shared).toEqual(['40 IPs in 12 ASNs', SHARED_ADDRESS_REASON, SHARED_NAME_REASON, 'TTL 60 s']);
    for (const secret of ['taxii:P1', 'P1', posted.ref, 'ACME', '198.51.100.0/24']) expect(shared.join('; ')).not.toContain(secret);
  });

  it('keeps reasons without intel untouched, duplicates included', () => {
    expect(sharedReasons(['TTL 60 s', 'TTL 60 s'])).toEqual(['TTL 60 s', 'TTL 60 s']);
  });
});
