/**
 * AS organisation names, one per ASN: a sorted ASN array and a parallel name
 * list. Ranges carry only the ASN, so ~500k rows share ~85k names.
 */
import type { StringList } from '../cache.js';

export class AsOrgs {
  /** Sorted ascending, distinct. */
  readonly asns: Uint32Array;
  /** A list from the binary cache decodes a name when it is first asked for. */
  readonly names: StringList;

  constructor(asns: Uint32Array, names: StringList) {
    this.asns = asns;
    this.names = names;
  }

  /** Organisation of asn; '' when unknown. */
  name(asn: number): string {
    const asns = this.asns;
    let lo = 0;
    let hi = asns.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const a = asns[mid]!;
      if (a === asn) return this.names.at(mid)!;
      if (a < asn) lo = mid + 1;
      else hi = mid - 1;
    }
    return '';
  }

  static readonly empty = new AsOrgs(new Uint32Array(0), []);
}

/** Gathers names while data loads; the first name seen for an ASN wins. */
export class AsOrgCollector {
  private readonly byAsn = new Map<number, string>();

  has(asn: number): boolean {
    return this.byAsn.has(asn);
  }

  add(asn: number, name: string): void {
    if (!this.byAsn.has(asn)) this.byAsn.set(asn, name);
  }

  finish(): AsOrgs {
    const asns = Uint32Array.from(this.byAsn.keys()).sort();
    const names = Array.from(asns, (asn) => this.byAsn.get(asn)!);
    return new AsOrgs(asns, names);
  }
}
