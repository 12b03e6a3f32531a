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
 * eight 16-bit groups; null when it is not one.
 */
export function parseIPv6(s: string): Uint16Array | null {
  if (s.length < 2 || s.length > 45) return null;
  const groups = new Uint16Array(8);
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null;
  const head = dbl === -1 ? s : s.slice(0, dbl);
  const tail = dbl === -1 ? '' : s.slice(dbl + 2);
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  const words: number[] = [];
  const tailWords: number[] = [];
  if (!pushGroups(headParts, words, dbl === -1)) return null;
  if (!pushGroups(tailParts, tailWords, true)) return null;
  const total = words.length + tailWords.length;
  if (dbl === -1 ? total !== 8 : total > 7) return null;
  for (let i = 0; i < words.length; i++) groups[i] = words[i]!;
  for (let i = 0; i < tailWords.length; i++) groups[8 - tailWords.length + i] = tailWords[i]!;
  return groups;
}

function pushGroups(parts: string[], out: number[], ipv4AllowedAtEnd: boolean): boolean {
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (ipv4AllowedAtEnd && i === parts.length - 1 && p.indexOf('.') !== -1) {
      const v4 = parseIPv4(p);
      if (v4 < 0) return false;
      out.push(v4 >>> 16, v4 & 0xffff);
      continue;
    }
    if (p.length === 0 || p.length > 4) return false;
    let v = 0;
    for (let j = 0; j < p.length; j++) {
      const c = p.charCodeAt(j);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else return false;
      v = v * 16 + d;
    }
    out.push(v);
  }
  return true;
}

/** Canonical (RFC 5952) text of eight 16-bit groups. */
export function formatIPv6(g: Uint16Array): string {
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
  const hex = (i: number) => g[i]!.toString(16);
  if (bestStart === -1) return Array.from({ length: 8 }, (_, i) => hex(i)).join(':');
  const left = Array.from({ length: bestStart }, (_, i) => hex(i)).join(':');
  const right = Array.from({ length: 8 - bestStart - bestLen }, (_, i) => hex(bestStart + bestLen + i)).join(':');
  return `${left}::${right}`;
}

/** 'A' for IPv4 text, 'AAAA' for IPv6 text, null otherwise. */
export function addressType(s: string): 'A' | 'AAAA' | null {
  if (parseIPv4(s) >= 0) return 'A';
  if (s.indexOf(':') !== -1 && parseIPv6(s) !== null) return 'AAAA';
  return null;
}

/**
 * A name safe to echo to a terminal, log or zone: printable ASCII except
 * backslash and quote stays, everything else becomes a DNS presentation
 * escape (\DDD, RFC 1035 §5.1), so a hostile name cannot carry terminal
 * control sequences or break out of a quoted field.
 */
export function escapeName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 92 || c === 34) return escapeFrom(name, i);
  }
  return name;
}

function escapeFrom(name: string, start: number): string {
  let out = name.slice(0, start);
  const bytes = Buffer.from(name.slice(start), 'utf8');
  for (const b of bytes) {
    out += b <= 32 || b >= 127 || b === 92 || b === 34 ? `\\${String(b).padStart(3, '0')}` : String.fromCharCode(b);
  }
  return out;
}
