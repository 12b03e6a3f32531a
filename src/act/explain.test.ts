import { describe, expect, it } from 'vitest';
import { plainText, whyBlocked, whyFlux } from './explain.js';

const listing = { feed: 'cert-stix', ref: 'indicator--3f1b5a3e-6f2c-4d1e-9a0b-2c7d8e9f0a1b', kind: 'domain' as const };

describe('why a name is blocked, with intel', () => {
  it("names the feed and entry for a feed's listing of the name", () => {
    expect(plainText(whyBlocked({ flux: null, intel: [listing] }))).toBe(
      "A threat-intelligence feed your network's operator uses (cert-stix, entry indicator--3f1b5a3e-6f2c-4d1e-9a0b-2c7d8e9f0a1b) lists this name as fast flux infrastructure: criminals use it to keep phishing sites and malware online by hiding them behind hijacked machines.",
    );
  });

  it('adds the feeds listing its addresses to the measured flux; the deny entry still comes first', () => {
    const evidence = [
      { feed: 'partner-a', ref: 'partner-a.txt:2', kind: 'address' as const },
      { feed: 'partner-a', ref: 'partner-a.txt:3', kind: 'cidr' as const },
    ];
    expect(plainText(whyBlocked({ flux: 'single', intel: evidence }))).toBe(`${plainText(whyFlux('single'))} Threat-intelligence feed partner-a also lists its addresses as flux infrastructure.`);
    // A detection (flux measured) that also carries a listing of the name explains the flux, not the listing.
    expect(plainText(whyBlocked({ flux: 'double', intel: [listing] }))).toBe(plainText(whyFlux('double')));
    expect(plainText(whyBlocked({ flux: null, listed: { comment: 'CERT ticket 4711' }, intel: [listing] }))).toContain('deny list');
  });

  it('makes a hostile feed name printable', () => {
    const text = plainText(whyBlocked({ flux: null, intel: [{ ...listing, feed: 'evil\u001b[31m\nfeed' }] }));
    expect(text).not.toMatch(/[\u0000-\u001f]/);
  });
});
