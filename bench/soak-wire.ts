/**
 * The few messages the soak's clients send: DNS queries (dns-packet encodes
 * them), their TCP framing (RFC 1035 4.2.2: a two-byte length first), and
 * Frame Streams control frames for the dnstap handshake (an escape of four
 * zero bytes, the control frame's length, its type, then content-type fields).
 */
import dnsPacket from 'dns-packet';

export function dnsQuery(id: number, name: string, type: 'A' | 'TXT' | 'SOA', edns = false): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    ...(edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer] } : {}),
  });
}

export function tcpFrame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}

/** Frame Streams control types (fstrm): ACCEPT 1, START 2, STOP 3, READY 4, FINISH 5. */
export const FSTRM = { ACCEPT: 1, START: 2, STOP: 3, READY: 4, FINISH: 5 } as const;
export const DNSTAP_CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

export function controlFrame(type: number, contentType: string | null = DNSTAP_CONTENT_TYPE): Buffer {
  const field = contentType === null ? Buffer.alloc(0) : Buffer.concat([u32(1), u32(contentType.length), Buffer.from(contentType, 'latin1')]);
  const body = Buffer.concat([u32(type), field]);
  return Buffer.concat([u32(0), u32(body.length), body]);
}

/** The control type of a complete control frame at the start of `bytes`, or null while it is incomplete. */
export function readControlType(bytes: Buffer): number | null {
  if (bytes.length < 12 || bytes.readUInt32BE(0) !== 0) return null;
  const length = bytes.readUInt32BE(4);
  return bytes.length < 8 + length ? null : bytes.readUInt32BE(8);
}

/** The answer's ID and rcode from a TCP DNS reply, once the whole framed message is in `bytes`. */
export function readTcpAnswer(bytes: Buffer): { id: number; rcode: number; answers: number } | null {
  if (bytes.length < 2) return null;
  const length = bytes.readUInt16BE(0);
  if (bytes.length < 2 + length || length < 12) return null;
  return { id: bytes.readUInt16BE(2), rcode: bytes[5]! & 0x0f, answers: bytes.readUInt16BE(8) };
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}
