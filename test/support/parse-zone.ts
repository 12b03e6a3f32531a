/**
 * A strict reader for the master files fluxhound writes (one record per
 * line, $ORIGIN/$TTL, \DDD and \X escapes, ';' comments). It exists to read
 * a zone back in tests and tools: a name that broke out of its field shows
 * up as a record too many, a wrong type or an error with the line number.
 */

export interface ParsedRecord {
  /** Owner labels as raw octets, leftmost first, origin included. */
  owner: Buffer[];
  ttl: number;
  type: string;
  /** The data fields as written. */
  data: string[];
  line: number;
}

export interface ParsedZone {
  origin: Buffer[];
  records: ParsedRecord[];
}

const TYPES = new Set(['SOA', 'NS', 'CNAME', 'A', 'AAAA', 'TXT']);

export function parseZone(text: string): ParsedZone {
  let origin: Buffer[] | null = null;
  let ttl: number | null = null;
  const records: ParsedRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const where = `line ${i + 1}`;
    const fields = tokens(lines[i]!, where);
    if (fields.length === 0) continue;
    const first = fields[0]!;
    if (first === '$ORIGIN') {
      if (fields.length !== 2) throw new Error(`${where}: $ORIGIN takes one name`);
      origin = decodeName(fields[1]!, null, where);
      continue;
    }
    if (first === '$TTL') {
      if (fields.length !== 2 || !/^\d+$/.test(fields[1]!)) throw new Error(`${where}: $TTL takes seconds`);
      ttl = Number(fields[1]);
      continue;
    }
    if (first.startsWith('$')) throw new Error(`${where}: unknown directive ${first}`);
    if (/^\s/.test(lines[i]!)) throw new Error(`${where}: record without an owner`);
    if (ttl === null) throw new Error(`${where}: record before $TTL`);
    const owner = first === '@' ? (origin ?? fail(`${where}: @ before $ORIGIN`)) : decodeName(first, origin, where);
    let at = 1;
    let recordTtl = ttl;
    if (/^\d+$/.test(fields[at] ?? '')) recordTtl = Number(fields[at++]);
    if (fields[at] === 'IN') at++;
    const type = fields[at++] ?? fail(`${where}: no type`);
    if (!TYPES.has(type)) throw new Error(`${where}: unexpected type ${type}`);
    const data = fields.slice(at);
    const arity = { SOA: 7, NS: 1, CNAME: 1, A: 1, AAAA: 1, TXT: -1 }[type as 'SOA'];
    if (arity > 0 && data.length !== arity) throw new Error(`${where}: ${type} takes ${arity} fields, got ${data.length}`);
    if (type === 'CNAME' || type === 'NS') decodeName(data[0]!, origin, where);
    records.push({ owner, ttl: recordTtl, type, data, line: i + 1 });
  }
  if (origin === null) throw new Error('no $ORIGIN');
  return { origin, records };
}

function fail(message: string): never {
  throw new Error(message);
}

/** Whitespace-separated fields up to a ';' comment; quoted strings stay one field (quotes kept). */
function tokens(line: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === ';') break;
    if (c === '(' || c === ')') throw new Error(`${where}: parentheses are not written by fluxhound`);
    let j = i;
    if (c === '"') {
      j++;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) throw new Error(`${where}: unterminated string`);
      j++;
    } else {
      while (j < line.length && !' \t\r;"()'.includes(line[j]!)) j += line[j] === '\\' ? 2 : 1;
    }
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

/** Labels of a presentation-form name as octets; relative names get the origin appended. */
export function decodeName(text: string, origin: Buffer[] | null, where = 'name'): Buffer[] {
  if (text === '.') return [];
  const labels: Buffer[] = [];
  let label: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      const d = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new Error(`${where}: bad escape \\${d}`);
        label.push(v);
        i += 3;
      } else {
        if (i + 1 >= text.length) throw new Error(`${where}: trailing backslash`);
        label.push(...Buffer.from(text[i + 1]!, 'utf8'));
        i += 1;
      }
    } else if (c === 46) {
      if (label.length === 0) throw new Error(`${where}: empty label in ${text}`);
      labels.push(Buffer.from(label));
      label = [];
      if (i === text.length - 1) absolute = true;
    } else {
      label.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  if (!absolute) {
    if (label.length === 0) throw new Error(`${where}: empty label in ${text}`);
    labels.push(Buffer.from(label));
    if (origin === null) throw new Error(`${where}: relative name ${text} before $ORIGIN`);
    labels.push(...origin);
  }
  for (const l of labels) if (l.length > 63) throw new Error(`${where}: label over 63 octets`);
  if (labels.reduce((n, l) => n + l.length + 1, 1) > 255) throw new Error(`${where}: name over 255 octets`);
  return labels;
}
