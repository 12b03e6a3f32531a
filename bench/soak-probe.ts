/**
 * The soak's well-behaved clients, one per listener: each asks once, as a
 * normal client would, and says whether it was served within the timeout.
 * A DNS query over TCP, a block-page GET, the RPZ zone's SOA over TCP, a
 * dnstap handshake (READY → ACCEPT, START, STOP), and GET /health with a
 * read token (any HTTP answer counts: 503 with a reason is an answer, not a
 * refusal).
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Listener } from './soak-summary.js';
import { controlFrame, dnsQuery, FSTRM, readControlType, readTcpAnswer, tcpFrame } from './soak-wire.js';

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** One exchange over a fresh TCP connection: `send` on connect, `done` decides from the bytes so far (null: keep reading). */
function tcpExchange(port: number, send: Buffer, done: (bytes: Buffer) => ProbeResult | null, timeoutMs: number, after?: Buffer): Promise<ProbeResult> {
  return new Promise((res) => {
    let bytes = Buffer.alloc(0);
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (r.ok && after !== undefined) socket.end(after);
      else socket.destroy();
      res(r);
    };
    const timer = setTimeout(() => finish({ ok: false, detail: socket.connecting ? 'connect timeout' : 'no answer in time' }), timeoutMs);
    socket.on('connect', () => socket.write(send));
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const r = done(bytes);
      if (r !== null) finish(r);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, detail: e.code ?? e.message }));
    socket.on('close', () => finish({ ok: false, detail: 'closed before an answer' }));
  });
}

function dnsOverTcp(port: number, name: string, type: 'A' | 'SOA', timeoutMs: number): Promise<ProbeResult> {
  const id = Math.floor(Math.random() * 65_536);
  return tcpExchange(
    port,
    tcpFrame(dnsQuery(id, name, type)),
    (bytes) => {
      const a = readTcpAnswer(bytes);
      if (a === null) return null;
      if (a.id !== id) return { ok: false, detail: 'answer with another ID' };
      if (a.rcode !== 0 || a.answers === 0) return { ok: false, detail: `rcode ${a.rcode}, ${a.answers} answers` };
      return { ok: true, detail: 'answered' };
    },
    timeoutMs,
  );
}

function httpGet(port: number, path: string, host: string, timeoutMs: number, token?: string): Promise<ProbeResult> {
  return new Promise((res) => {
    let settled = false;
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      res(r);
    };
    const headers: Record<string, string> = token === undefined ? { host } : { host, authorization: `Bearer ${token}` };
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (answer) => {
      answer.resume();
      answer.on('end', () => finish({ ok: true, detail: `HTTP ${answer.statusCode}` }));
      answer.on('error', (e) => finish({ ok: false, detail: e.message }));
    });
    const timer = setTimeout(() => finish({ ok: false, detail: 'no answer in time' }), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, detail: e.code ?? e.message }));
    req.end();
  });
}

function dnstapHandshake(port: number, timeoutMs: number): Promise<ProbeResult> {
  return tcpExchange(
    port,
    controlFrame(FSTRM.READY),
    (bytes) => {
      const type = readControlType(bytes);
      if (type === null) return null;
      return type === FSTRM.ACCEPT ? { ok: true, detail: 'ACCEPT' } : { ok: false, detail: `control type ${type} instead of ACCEPT` };
    },
    timeoutMs,
    Buffer.concat([controlFrame(FSTRM.START), controlFrame(FSTRM.STOP, null)]),
  );
}

export interface ProbePorts {
  dns: number;
  blockPage: number;
  rpz: number;
  dnstap: number;
  http: number;
  /** A read token of --api-tokens, for GET /health. */
  httpToken?: string;
  /** A name in fluxhound's cache. */
  name: string;
  rpzOrigin: string;
}

export function probe(listener: Listener, ports: ProbePorts, timeoutMs: number): Promise<ProbeResult> {
  switch (listener) {
    case 'dns-tcp':
      return dnsOverTcp(ports.dns, ports.name, 'A', timeoutMs);
    case 'block-page':
      return httpGet(ports.blockPage, '/', 'blocked.test', timeoutMs);
    case 'rpz-server':
      return dnsOverTcp(ports.rpz, ports.rpzOrigin, 'SOA', timeoutMs);
    case 'dnstap':
      return dnstapHandshake(ports.dnstap, timeoutMs);
    case 'http':
      return httpGet(ports.http, '/health', '127.0.0.1', timeoutMs, ports.httpToken);
  }
}
