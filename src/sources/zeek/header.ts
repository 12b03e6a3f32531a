/**
 * Zeek's ASCII log header (`#separator`, `#set_separator`, `#empty_field`,
 * `#unset_field`, `#fields`, ...) and the column layout a dns.log data line
 * is read with. Columns are found by name, so order and extra columns
 * (auth/addl from policy/protocols/dns/auth-addl.zeek, opcode, ...) don't matter.
 */

/** The dns.log columns of Zeek 6, used when data comes before any `#fields` line. */
export const ZEEK_DNS_FIELDS: readonly string[] = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'rtt',
  'query', 'qclass', 'qclass_name', 'qtype', 'qtype_name', 'rcode', 'rcode_name',
  'AA', 'TC', 'RD', 'RA', 'Z', 'answers', 'TTLs', 'rejected',
];

/** Zeek 6's `#types` for ZEEK_DNS_FIELDS. */
export const ZEEK_DNS_TYPES: readonly string[] = [
  'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'count', 'interval',
  'string', 'count', 'string', 'count', 'string', 'count', 'string',
  'bool', 'bool', 'bool', 'bool', 'count', 'vector[string]', 'vector[interval]', 'bool',
];

/** The header block Zeek 6 writes at the top of a dns.log, for writing or testing logs in its layout. */
export function zeekHeader(opened = '2024-03-12-09-15-02'): string[] {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tdns',
    `#open\t${opened}`,
    `#fields\t${ZEEK_DNS_FIELDS.join('\t')}`,
    `#types\t${ZEEK_DNS_TYPES.join('\t')}`,
  ];
}

export interface Separators {
  readonly separator: string;
  readonly setSeparator: string;
  readonly emptyField: string;
  readonly unsetField: string;
}

export const DEFAULT_SEPARATORS: Separators = {
  separator: '\t',
  setSeparator: ',',
  emptyField: '(empty)',
  unsetField: '-',
};

/** Column index of each field the decoder reads; -1 when the log has no such column. */
export interface ZeekLayout extends Separators {
  /** The separators and markers as UTF-8, for scanning bytes. */
  readonly separatorBytes: Buffer;
  readonly setSeparatorBytes: Buffer;
  readonly emptyBytes: Buffer;
  readonly unsetBytes: Buffer;
  readonly fieldCount: number;
  readonly ts: number;
  readonly client: number;
  readonly query: number;
  readonly qtypeName: number;
  readonly qtype: number;
  readonly rcodeName: number;
  readonly rcode: number;
  readonly answers: number;
  readonly ttls: number;
  readonly auth: number;
  readonly addl: number;
  /** Why data lines cannot be read with this layout (a header of another log), or null. */
  readonly unusable: string | null;
}

export function layoutOf(fields: readonly string[], separators: Separators): ZeekLayout {
  const at = (name: string): number => fields.indexOf(name);
  const layout = {
    ...separators,
    separatorBytes: Buffer.from(separators.separator),
    setSeparatorBytes: Buffer.from(separators.setSeparator),
    emptyBytes: Buffer.from(separators.emptyField),
    unsetBytes: Buffer.from(separators.unsetField),
    fieldCount: fields.length,
    ts: at('ts'),
    client: at('id.orig_h'),
    query: at('query'),
    qtypeName: at('qtype_name'),
    qtype: at('qtype'),
    rcodeName: at('rcode_name'),
    rcode: at('rcode'),
    answers: at('answers'),
    ttls: at('TTLs'),
    auth: at('auth'),
    addl: at('addl'),
    unusable: null as string | null,
  };
  const missing = ['ts', 'query'].find((name) => at(name) === -1);
  if (missing !== undefined) layout.unusable = `no '${missing}' in #fields (not a dns.log?)`;
  else if (layout.qtypeName === -1 && layout.qtype === -1) layout.unusable = "no 'qtype_name' in #fields";
  else if (separators.separator.length === 0 || separators.setSeparator.length === 0) {
    layout.unusable = 'empty #separator or #set_separator';
  }
  return layout;
}

/**
 * Zeek escapes bytes it cannot print, its separators and strings equal to a
 * marker as `\xHH`, and a backslash as `\\`. Runs of `\xHH` are decoded
 * together, so an escaped UTF-8 sequence becomes its character.
 */
export function unescapeZeek(text: string): string {
  if (text.indexOf('\\') === -1) return text;
  let out = '';
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 && text.charCodeAt(i + 1) === 120 /* x */) {
      const byte = hexByte(text, i + 2);
      if (byte >= 0) {
        bytes.push(byte);
        i += 3;
        continue;
      }
    }
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
    if (c === 92 && text.charCodeAt(i + 1) === 92) i++;
    out += text[i];
  }
  if (bytes.length > 0) out += Buffer.from(bytes).toString('utf8');
  return out;
}

function hexByte(text: string, at: number): number {
  const high = hexDigit(text.charCodeAt(at));
  const low = hexDigit(text.charCodeAt(at + 1));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The header state of one log: reads directive lines, hands out the current layout. */
export class ZeekHeader {
  private separators: Separators = DEFAULT_SEPARATORS;
  private fields: readonly string[] = ZEEK_DNS_FIELDS;
  layout: ZeekLayout = layoutOf(ZEEK_DNS_FIELDS, DEFAULT_SEPARATORS);

  /** One line starting with '#'. Unknown directives (#path, #open, #close, #types, comments) are ignored. */
  directive(line: string): void {
    if (line.startsWith('#separator') && (line.charCodeAt(10) === 32 || line.charCodeAt(10) === 9)) {
      // A new header block (logs concatenated after rotation): start over from the defaults.
      this.separators = { ...DEFAULT_SEPARATORS, separator: unescapeZeek(line.slice(11)) };
      this.fields = ZEEK_DNS_FIELDS;
    } else {
      const sep = this.separators.separator;
      const cut = sep.length === 0 ? -1 : line.indexOf(sep);
      if (cut === -1) return;
      const value = line.slice(cut + sep.length);
      switch (line.slice(1, cut)) {
        case 'set_separator':
          this.separators = { ...this.separators, setSeparator: unescapeZeek(value) };
          break;
        case 'empty_field':
          this.separators = { ...this.separators, emptyField: unescapeZeek(value) };
          break;
        case 'unset_field':
          this.separators = { ...this.separators, unsetField: unescapeZeek(value) };
          break;
        case 'fields':
          this.fields = value.split(sep);
          break;
        default:
          return;
      }
    }
    this.layout = layoutOf(this.fields, this.separators);
  }
}
