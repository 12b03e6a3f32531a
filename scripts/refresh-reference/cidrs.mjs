/**
 * Prefix arithmetic for refresh-reference.mjs, on BigInt so IPv4 and IPv6
 * share one code path: parse CIDRs, give every address to the innermost
 * published prefix holding it, merge, and write minimal CIDRs back.
 */

/**
 * Disjoint, merged, minimal CIDRs with their provider, IPv4 then IPv6,
 * ascending. entries: { fam, start, len, provider }; rank(provider) → an
 * array compared element by element, the higher winning a tie between equal
 * prefixes (then the smaller name).
 */
export function resolvePrefixes(entries, rank) {
  const rows = [];
  const counts = {};
  for (const fam of [4, 6]) {
    const bits = fam === 4 ? 32 : 128;
    const segments = disjoint(dedupe(entries.filter((e) => e.fam === fam), rank), bits);
    let n = 0;
    for (const s of segments) {
      for (const c of rangeToCidrs(s.start, s.end, bits)) {
        rows.push({ key: `${formatAddress(fam, c.start)}/${c.len}`, provider: s.provider });
        n++;
      }
    }
    counts[`v${fam}`] = n;
  }
  return { rows, v4: counts.v4, v6: counts.v6, input: entries.length };
}

/** One entry per exact prefix (the tie-break winner), sorted by start, then shorter prefix first. */
function dedupe(entries, rank) {
  const byKey = new Map();
  for (const e of entries) {
    const key = `${e.start}/${e.len}`;
    const had = byKey.get(key);
    if (!had || beats(rank(e.provider), e.provider, rank(had.provider), had.provider)) byKey.set(key, e);
  }
  return [...byKey.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.len - b.len));
}

function beats(ra, na, rb, nb) {
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] > rb[i];
  return na < nb;
}

/**
 * Prefixes either nest or are disjoint, so one pass with a stack of open
 * prefixes gives each address to the innermost prefix holding it; adjacent
 * pieces of one provider merge.
 */
function disjoint(sorted, bits) {
  const out = [];
  const stack = [];
  let cursor = -1n;
  const emit = (provider, start, end) => {
    if (start > end) return;
    const last = out.at(-1);
    if (last && last.provider === provider && last.end + 1n === start) last.end = end;
    else out.push({ start, end, provider });
  };
  const closeBefore = (limit) => {
    while (stack.length > 0 && stack.at(-1).end < limit) {
      const top = stack.pop();
      emit(top.provider, max(cursor, top.start), top.end);
      cursor = top.end + 1n;
    }
  };
  for (const e of sorted) {
    const item = { start: e.start, end: e.start + (1n << BigInt(bits - e.len)) - 1n, provider: e.provider };
    closeBefore(item.start);
    const parent = stack.at(-1);
    if (parent) emit(parent.provider, max(cursor, parent.start), item.start - 1n);
    cursor = item.start;
    stack.push(item);
  }
  closeBefore(1n << BigInt(bits + 1));
  return out;
}

function max(a, b) {
  return a > b ? a : b;
}

function rangeToCidrs(start, end, bits) {
  const out = [];
  while (start <= end) {
    let k = 0;
    while (k < bits && ((start >> BigInt(k)) & 1n) === 0n && start + (1n << BigInt(k + 1)) - 1n <= end) k++;
    out.push({ start, len: bits - k });
    start += 1n << BigInt(k);
  }
  return out;
}

/** { fam, start, len } with host bits cleared, or null. */
export function parseCidr(text) {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const fam = addr.includes(':') ? 6 : 4;
  const bits = fam === 4 ? 32 : 128;
  const lenText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) return null;
  const len = Number(lenText);
  const value = fam === 4 ? parseV4(addr) : parseV6(addr);
  if (value === null) return null;
  const host = (1n << BigInt(bits - len)) - 1n;
  return { fam, start: value & ~host, len };
}

function parseV4(s) {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function parseV6(s) {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const last = tail.length > 0 ? tail : head;
  if (last.length > 0 && last.at(-1).includes('.')) {
    const v4 = parseV4(last.pop());
    if (v4 === null) return null;
    last.push((v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function formatAddress(fam, value) {
  if (fam === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const g = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (a) => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
