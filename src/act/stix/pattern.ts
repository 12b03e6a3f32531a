/**
 * STIX patterning (STIX 2.1, section 9): a string literal is single-quoted
 * and only `\'` and `\\` are escapes inside it. A name is already in
 * fluxhound's one text form (dns/name-text: `\DDD` for odd bytes, so it can
 * hold backslashes), and a quote or backslash left unescaped would end the
 * literal early and let a hostile name add comparisons of its own.
 */
export function stixString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** `[domain-name:value = 'NAME']`: the one pattern shape fluxhound's indicators carry. */
export function domainPattern(name: string): string {
  return `[domain-name:value = ${stixString(name)}]`;
}
