/** Small helpers on DNS names and addresses shared by every module. */

/** Lower-case and strip one trailing dot: the canonical form names take in fluxhound. */
export function canonicalName(name: string): string {
  let n = name;
  if (n.length > 1 && n.charCodeAt(n.length - 1) === 46 /* . */) n = n.slice(0, -1);
  // Fast path: most names are already lower-case.
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c >= 65 && c <= 90) return n.toLowerCase();
  }
  return n;
}

/**
 * A syntactically plausible DNS name in presentation form: at most 253
 * characters, labels of 1..63 characters. Escapes and any byte are allowed in
 * labels (DNS is 8-bit clean), but not empty labels, whitespace or control characters.
 */
export function isPlausibleName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  if (name === '.') return true;
  let labelLen = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0) return false;
      labelLen = 0;
      continue;
    }
    if (c <= 32 || c === 127) return false;
    if (++labelLen > 63) return false;
  }
  return labelLen > 0;
}

/** Parse dotted-quad IPv4 into an unsigned 32-bit number, or -1 when it is not one. */
export function parseIPv4(s: string): number {
  const len = s.length;
  if (len < 7 || len > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * Parse an IPv6 address (RFC 4291 text forms, including embedded IPv4) into
 * eight 16-bit groups; null when it is not one. One pass, no substrings:
 * answers of AAAA lookups come by the million.
 */
export function parseIPv6(s: string): Uint16Array | null {
  const groups = new Uint16Array(8);
  return parseIPv6Into(s, groups) ? groups : null;
}

/** parseIPv6 into a caller's eight groups (reused on hot paths); false when s is not an address. */
export function parseIPv6Into(s: string, groups: Uint16Array): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  groups.fill(0);
  let count = 0;
  /** Where '::' stands among the groups, or -1. */
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    const start = i;
    let value = 0;
    for (; i < n; i++) {
      const d = hexDigit(s.charCodeAt(i));
      if (d < 0) break;
      value = value * 16 + d;
    }
    if (i < n && s.charCodeAt(i) === 46) {
      // Dotted IPv4 in the last two groups: it must run to the end.
      if (count > 6 || s.indexOf(':', i) !== -1) return false;
      const v4 = parseIPv4(s.slice(start));
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (i === start || i - start > 4 || count === 8) return false;
    groups[count++] = value;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58 || i + 1 === n) return false;
    i++;
    if (s.charCodeAt(i) === 58) {
      if (gap !== -1) return false;
      gap = count;
      i++;
    }
  }
  if (gap === -1) return count === 8;
  if (count > 7) return false;
  // Move the groups after '::' to the end; the ones between become zero.
  const shift = 8 - count;
  for (let k = count - 1; k >= gap; k--) {
    groups[k + shift] = groups[k]!;
    groups[k] = 0;
  }
  return true;
}

/** Value of a hexadecimal digit's character code; -1 when it is none. */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * The longest run of two or more zero groups (the first of equals), which
 * RFC 5952 writes as '::' (and RPZ as 'zz'): its start times 16 plus its
 * length, or -1 when there is none. One number, so hot paths allocate nothing.
 */
export function longestZeroRun(g: Uint16Array): number {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  return bestStart < 0 ? -1 : bestStart * 16 + bestLen;
}

/** Canonical (RFC 5952) text of eight 16-bit groups. */
export function formatIPv6(g: Uint16Array): string {
  const run = longestZeroRun(g);
  const bestStart = run < 0 ? -1 : run >> 4;
  const bestLen = run < 0 ? 1 : run & 15;
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLen) text += ':';
    text += g[i]!.toString(16);
  }
  return text;
}

/** 'A' for IPv4 text, 'AAAA' for IPv6 text, null otherwise. */
export function addressType(s: string): 'A' | 'AAAA' | null {
  if (parseIPv4(s) >= 0) return 'A';
  if (s.indexOf(':') !== -1 && parseIPv6(s) !== null) return 'AAAA';
  return null;
}
