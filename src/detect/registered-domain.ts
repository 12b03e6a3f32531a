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
