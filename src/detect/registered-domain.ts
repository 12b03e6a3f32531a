/** The registered domain (public suffix + one label) of a queried name, via tldts. */
import { getDomain } from 'tldts';

// Names arrive canonical (lower-case, no trailing dot), so tldts may skip URL handling.
const OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  mixedInputs: false,
  validateHostname: false,
} as const;

/** The registered domain, or the name itself when it has none (a TLD, 'localhost', an address). */
export function registeredDomain(name: string): string {
  return getDomain(name, OPTIONS) ?? name;
}

/** The name is, or is under, a registered domain (so not a public suffix such as 'com' or 'co.uk'). */
export function isRegistrable(name: string): boolean {
  return getDomain(name, OPTIONS) !== null;
}
