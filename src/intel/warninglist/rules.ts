/**
 * Intel refusals that follow the warninglists: a name a warninglist names is
 * refused like an allowlisted one, an address or network inside a
 * warninglist's network like a CDN's. The feed loader builds its rules with
 * this, so whatever extended the reference lists also bounds what a feed may
 * trigger on.
 */
import type { Infra } from '../../enrich/infra/index.js';
import type { IntelRules } from '../index.js';

export function withKnownNames(rules: IntelRules, infra: Infra | null, registeredDomain: (name: string) => string | null): IntelRules {
  const isKnownName = infra?.isKnownName?.bind(infra);
  if (infra === null || isKnownName === undefined) return rules;
  return {
    isRegistrable: rules.isRegistrable,
    isAllowlisted: (name) => rules.isAllowlisted(name) || isKnownName(name, registeredDomain(name) ?? name),
    isKnownInfrastructure: (value, kind) => rules.isKnownInfrastructure?.(value, kind) === true || knownNetwork(infra, value, kind),
  };
}

/** An address, or a network whose first address, is in a known network (the index caps how wide a listed network may be). */
function knownNetwork(infra: Infra, value: string, kind: 'address' | 'cidr'): boolean {
  return infra.providerOfAddress(kind === 'cidr' ? value.slice(0, value.indexOf('/')) : value) >= 0;
}
