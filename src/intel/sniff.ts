/**
 * The kind of a feed whose configuration names none, from its first bytes:
 * JSON with "type": "bundle" is STIX 2.1; a MISP manifest (event uuids to
 * {info, Orgc, ...}) or event ({"Event": ...}) is MISP; $ORIGIN or an SOA
 * record is an RPZ zone; a first line of several comma-separated fields is
 * CSV; one value a line is a list. Null when nothing fits (binary, empty).
 */
export type SniffedKind = 'list' | 'csv' | 'rpz' | 'stix' | 'misp';

/** Bytes read: enough for any header, small enough to sniff a huge feed cheaply. */
const SNIFF_BYTES = 64 * 1024;

export function sniffKind(bytes: Uint8Array): SniffedKind | null {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, SNIFF_BYTES)).replace(/^\uFEFF/, '');
  if (head.indexOf('\u0000') !== -1) return null;
  const text = head.trimStart();
  if (text.length === 0) return null;
  if (text.startsWith('{') || text.startsWith('[')) return sniffJson(bytes, text);
  const lines = text.split('\n').slice(0, 200);
  if (lines.some((l) => /^\$ORIGIN\s/i.test(l) || /^\S*\s+(?:[0-9]+\s+)?(?:IN\s+)?SOA\s/i.test(l) || /^\s+(?:[0-9]+\s+)?(?:IN\s+)?SOA\s/i.test(l))) return 'rpz';
  const data = lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith(';'));
  const first = data.find((l) => !l.startsWith('#')) ?? data[0];
  if (first !== undefined && first.split(',').length >= 2 && !/\s/.test(first.split(',')[0]!.trim())) return 'csv';
  return 'list';
}

function sniffJson(bytes: Uint8Array, head: string): SniffedKind | null {
  // A whole document parses when it is small; a big one is judged by its head.
  let doc: unknown = undefined;
  if (bytes.length <= SNIFF_BYTES) {
    try {
      doc = JSON.parse(head);
    } catch {
      return null;
    }
  }
  if (doc !== undefined) {
    if (isObject(doc)) {
      if (doc['type'] === 'bundle') return 'stix';
      if (isObject(doc['Event'])) return 'misp';
      const values = Object.values(doc);
      if (values.length > 0 && values.every((v) => isObject(v) && ('info' in v || 'Orgc' in v) && 'timestamp' in v)) return 'misp';
    }
    return null;
  }
  if (/"type"\s*:\s*"bundle"/.test(head)) return 'stix';
  if (/^\s*\{\s*"Event"\s*:/.test(head) || /^\s*\{\s*"[0-9a-f-]{36}"\s*:\s*\{/i.test(head)) return 'misp';
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
