/** Hand-made RPZ zones and a signing client for the rpz-server tests. */
import type { RpzRecord, RpzZone } from '../../act/rpz/types.js';
import { makeKey, sign } from './tsig.js';
import type { TsigKey } from './tsig.js';
import { ByteWriter, CLASS_IN, encodeRecord, nameToWire, soaRdata, TYPE } from './wire.js';

export const TEST_SECRET = 'Vz1Oqg0iPGcF8c6MfS0X9G8jQ9pNwqN8oFbmB6cK2ys=';
export const TEST_KEY_NAME = 'fluxhound-rpz';
export const testKey: TsigKey = makeKey(TEST_KEY_NAME, Buffer.from(TEST_SECRET, 'base64'));

/** A zone with `names` NXDOMAIN triggers (name and wildcard) for flux-N.example. */
export function testZone(serial: number, names: readonly string[]): RpzZone {
  const records: RpzRecord[] = [];
  for (const n of names) {
    records.push({ owner: n, type: 'CNAME', data: '.' }, { owner: `*.${n}`, type: 'CNAME', data: '.' });
  }
  return {
    origin: 'rpz.fluxhound.',
    ttl: 60,
    soa: { mname: 'localhost.', rname: 'hostmaster.localhost.', serial, refresh: 300, retry: 60, expire: 604800, minimum: 60 },
    ns: ['localhost.'],
    records,
  };
}

export function fluxNames(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`flux-${i}.example`);
  return out;
}

/** A query message (optionally with an IXFR SOA in the authority section), unsigned or signed. */
export function query(name: string, type: number, options: { id?: number; ixfrSerial?: number; key?: TsigKey; time?: number } = {}): Uint8Array {
  const qname = nameToWire(name);
  const authority: Uint8Array[] = [];
  if (options.ixfrSerial !== undefined) {
    authority.push(encodeRecord(qname, TYPE.SOA, CLASS_IN, 0, soaRdata({ mname: '.', rname: '.', serial: options.ixfrSerial, refresh: 0, retry: 0, expire: 0, minimum: 0 })));
  }
  const w = new ByteWriter()
    .u16(options.id ?? 4242)
    .u16(0)
    .u16(1)
    .u16(0)
    .u16(authority.length)
    .u16(0)
    .bytes(qname)
    .u16(type)
    .u16(CLASS_IN);
  for (const rr of authority) w.bytes(rr);
  const msg = w.done();
  if (options.key === undefined) return msg;
  return sign(msg, options.key, { prior: null, timeSigned: options.time ?? Math.floor(Date.now() / 1000) }).message;
}
