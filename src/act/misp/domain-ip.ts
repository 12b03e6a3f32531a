/**
 * MISP's domain-ip object template (MISP/misp-objects objects/domain-ip/definition.json,
 * CC0): the fields fluxhound fills. A MISP instance matches objects to its
 * templates by uuid and version; the test checks these against the copy in
 * test/fixtures/cti/misp/objects/domain-ip.json.
 */
export const DOMAIN_IP_TEMPLATE = {
  name: 'domain-ip',
  uuid: '43b3b146-77eb-4931-b4cc-b66c60f28734',
  version: 11,
  metaCategory: 'network',
  description: 'A domain/hostname and IP address seen as a tuple in a specific time frame.',
} as const;
