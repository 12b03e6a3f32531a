import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { controlFrame, dnsQuery, FSTRM, readControlType, readTcpAnswer, tcpFrame } from './soak-wire.js';

describe('soak wire', () => {
  it('writes a query dns-packet reads back, with EDNS when asked', () => {
    const q = dnsPacket.decode(dnsQuery(4660, 'a.big.test', 'TXT', true));
    expect(q.id).toBe(4660);
    expect(q.questions).toEqual([{ name: 'a.big.test', type: 'TXT', class: 'IN' }]);
    expect(q.additionals?.[0]?.type).toBe('OPT');
  });

  it('reads a framed answer only once it is whole', () => {
    const answer = dnsPacket.encode({ type: 'response', id: 7, flags: 0, questions: [{ name: 'rpz.fluxhound', type: 'SOA' }], answers: [{ type: 'A', name: 'x.test', data: '10.0.0.1' }] });
    const framed = tcpFrame(answer);
    expect(readTcpAnswer(framed.subarray(0, framed.length - 1))).toBeNull();
    expect(readTcpAnswer(framed)).toEqual({ id: 7, rcode: 0, answers: 1 });
  });

  it('writes Frame Streams control frames with the dnstap content type (fstrm layout)', () => {
    const ready = controlFrame(FSTRM.READY);
    // escape 0, length, type READY, field CONTENT_TYPE (1), its length, the text.
    expect(ready.readUInt32BE(0)).toBe(0);
    expect(ready.readUInt32BE(4)).toBe(ready.length - 8);
    expect(ready.readUInt32BE(12)).toBe(1);
    expect(ready.subarray(20).toString()).toBe('protobuf:dnstap.Dnstap');
    expect(readControlType(ready)).toBe(FSTRM.READY);
    expect(readControlType(ready.subarray(0, 10))).toBeNull();
    expect(controlFrame(FSTRM.STOP, null)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 3]));
  });
});
