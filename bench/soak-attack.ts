/**
 * One attacker process of the soak (bench/soak.ts starts one or more, each
 * within its descriptor limit). It takes its plan as JSON in argv[2], runs
 * for `seconds`, and prints what it did as one JSON line on stdout:
 *
 * - slowloris on every TCP listener: `perListener` connections each, opened
 *   at most `openPerSecond` a second, one byte every `trickleMs` (a DNS
 *   query's bytes on DNS-over-TCP and the RPZ server; header bytes that never
 *   end on HTTP; a complete dnstap handshake, then one byte of a data frame);
 *   a connection the server closes is opened again after a second;
 * - `pipeliners` DNS-over-TCP clients writing queries for a large answer as
 *   fast as the socket takes them and never reading a reply;
 * - garbage UDP datagrams (random bytes, 1–512 long) to the DNS port;
 * - cache filling: queries over TCP (4 connections that read their answers)
 *   for distinct names whose answers are large.
 *
 * Loopback only; everything stops at `seconds`.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { controlFrame, dnsQuery, FSTRM, tcpFrame } from './soak-wire.js';

export interface AttackTarget {
  listener: string;
  port: number;
  kind: 'dns' | 'http' | 'dnstap';
}

export interface AttackPlan {
  seconds: number;
  dnsPort: number;
  targets: AttackTarget[];
  perListener: number;
  openPerSecond: number;
  trickleMs: number;
  pipeliners: number;
  /** A name whose answer is large (the upstream answers ~56 KB TXT for it). */
  largeName: string;
  /** The zone under which every name has a large answer (cache filling). */
  largeZone: string;
  garbagePerSecond: number;
  cacheFillPerSecond: number;
  /** Distinguishes the names of two attacker processes. */
  index: number;
  /**
   * Loopback addresses the attack comes from (127.0.1.x, …), never the good
   * clients' 127.0.0.1: a per-address cap may then tell them apart, as it
   * would an attacker's network from a customer's.
   */
  sources: string[];
}

/** `count` loopback source addresses for the attack: 127.0.1.1, 127.0.1.2, … (250 per /24). */
export function attackSources(count: number): string[] {
  return Array.from({ length: Math.max(1, count) }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
}

let nextSource = 0;
function source(plan: AttackPlan): string {
  return plan.sources[nextSource++ % plan.sources.length]!;
}

export interface ListenerCounts {
  listener: string;
  opened: number;
  /** Connections refused or failed before they were established. */
  refused: number;
  /** Established, then closed or reset by the server. */
  closedByServer: number;
  /** Most connections held open at once. */
  peakOpen: number;
}

export interface AttackReport {
  index: number;
  listeners: ListenerCounts[];
  pipelinedQueries: number;
  pipelinedBytes: number;
  pipelinersClosedByServer: number;
  garbageDatagrams: number;
  cacheFillQueries: number;
}

const HTTP_PREFIX = Buffer.from('GET / HTTP/1.1\r\nHost: blocked.test\r\nX-Slow: ', 'latin1');

/** The bytes a slowloris connection trickles, in order, forever (cycling). */
function trickleBytes(kind: AttackTarget['kind'], n: number): Buffer {
  if (kind === 'http') return Buffer.concat([HTTP_PREFIX, Buffer.alloc(4096, 'a')]);
  if (kind === 'dns') return tcpFrame(dnsQuery(n & 0xffff, `slow${n}.bench.test`, 'A'));
  // dnstap: after the handshake, a data frame of 64 KB announced and never finished.
  const header = Buffer.alloc(4);
  header.writeUInt32BE(65_536, 0);
  return Buffer.concat([header, Buffer.alloc(65_536, 1)]);
}

function slowloris(target: AttackTarget, plan: AttackPlan, deadline: number, counts: ListenerCounts, sockets: Set<Socket>): void {
  const live = new Map<Socket, { bytes: Buffer; at: number }>();
  const connected = new Set<Socket>();
  let seq = plan.index * 1_000_000;
  const open = (): void => {
    if (Date.now() >= deadline) return;
    counts.opened++;
    const socket = connect({ host: '127.0.0.1', port: target.port, localAddress: source(plan) });
    sockets.add(socket);
    let established = false;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      established = true;
      connected.add(socket);
      counts.peakOpen = Math.max(counts.peakOpen, connected.size);
      if (target.kind === 'dnstap') socket.write(controlFrame(FSTRM.READY));
      else live.set(socket, { bytes: trickleBytes(target.kind, seq++), at: 0 });
    });
    socket.on('data', () => {
      // dnstap: the ACCEPT came back; START, then trickle a data frame.
      if (target.kind === 'dnstap' && !live.has(socket)) {
        socket.write(controlFrame(FSTRM.START));
        live.set(socket, { bytes: trickleBytes('dnstap', 0), at: 0 });
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      live.delete(socket);
      connected.delete(socket);
      if (Date.now() >= deadline) return; // our own close at the end
      if (established) counts.closedByServer++;
      else counts.refused++;
      if (Date.now() < deadline - 1000) setTimeout(open, 1000).unref();
    });
  };
  // Open at most openPerSecond a second, in steps of 100 ms.
  let toOpen = plan.perListener;
  const perStep = Math.max(1, Math.round(plan.openPerSecond / 10));
  const opener = setInterval(() => {
    for (let i = 0; i < perStep && toOpen > 0; i++, toOpen--) open();
    if (toOpen === 0) clearInterval(opener);
  }, 100);
  // Each connection gets one byte every trickleMs; spread over the interval in 100 ms steps.
  let tick = 0;
  const steps = Math.max(1, Math.round(plan.trickleMs / 100));
  const trickler = setInterval(() => {
    let i = 0;
    for (const [socket, state] of live) {
      if (i++ % steps !== tick % steps || socket.destroyed) continue;
      socket.write(state.bytes.subarray(state.at, state.at + 1));
      state.at = (state.at + 1) % state.bytes.length;
    }
    tick++;
    if (Date.now() >= deadline) {
      clearInterval(trickler);
      clearInterval(opener);
    }
  }, 100);
}

function pipeliner(plan: AttackPlan, deadline: number, report: AttackReport, sockets: Set<Socket>, n: number): void {
  const socket = connect({ host: '127.0.0.1', port: plan.dnsPort, localAddress: source(plan) });
  sockets.add(socket);
  socket.pause(); // never read a reply
  let id = n << 8;
  const frame = tcpFrame(dnsQuery(0, plan.largeName, 'TXT'));
  // At most 256 queries a turn of the event loop, so a server that reads fast cannot starve the other attacks here.
  const batch = (): void => {
    for (let i = 0; i < 256; i++) {
      if (Date.now() >= deadline || socket.destroyed) return;
      const query = Buffer.from(frame);
      query.writeUInt16BE(id++ & 0xffff, 2);
      report.pipelinedQueries++;
      report.pipelinedBytes += query.length;
      if (!socket.write(query)) return; // wait for 'drain': the server stopped reading, or we out-wrote it
    }
    setImmediate(batch);
  };
  socket.on('connect', batch);
  socket.on('drain', batch);
  socket.on('error', () => undefined);
  socket.on('close', () => {
    sockets.delete(socket);
    if (Date.now() < deadline) report.pipelinersClosedByServer++;
  });
}

function udpFlood(plan: AttackPlan, deadline: number, report: AttackReport): () => void {
  const socket = createSocket('udp4');
  socket.on('error', () => undefined);
  socket.on('message', () => undefined);
  socket.bind(0, plan.sources[0]);
  const fill = fillConnections(plan, deadline);
  let seq = 0;
  const started = Date.now();
  // Sent by elapsed time, so a late timer catches up (at most a tenth of a second's worth at once).
  const due = (rate: number, sent: number): number => Math.min(Math.ceil(rate / 10), Math.floor((rate * (Date.now() - started)) / 1000) - sent);
  const timer = setInterval(() => {
    if (Date.now() >= deadline) return;
    for (let i = due(plan.garbagePerSecond, report.garbageDatagrams); i > 0; i--) {
      const garbage = Buffer.allocUnsafe(1 + Math.floor(Math.random() * 512));
      for (let j = 0; j < garbage.length; j++) garbage[j] = Math.floor(Math.random() * 256);
      socket.send(garbage, plan.dnsPort, '127.0.0.1');
      report.garbageDatagrams++;
    }
    for (let i = due(plan.cacheFillPerSecond, report.cacheFillQueries); i > 0; i--) {
      // Round-robin over the fill connections that are up; none up: this query is not sent.
      const up = fill.filter((c) => !c.connecting && !c.destroyed);
      const connection = up[seq % Math.max(1, up.length)];
      if (connection === undefined) break;
      connection.write(tcpFrame(dnsQuery(seq & 0xffff, `fill${plan.index}-${seq++}.${plan.largeZone}`, 'TXT')));
      report.cacheFillQueries++;
    }
  }, 10);
  return () => {
    clearInterval(timer);
    socket.close();
    for (const c of fill) c.destroy();
  };
}

/**
 * Cache filling asks over TCP, reading (and dropping) every answer: a large
 * answer over UDP comes back truncated and is not cached, so a real stub
 * retries over TCP, and the answer is cached then.
 */
function fillConnections(plan: AttackPlan, deadline: number): Socket[] {
  if (plan.cacheFillPerSecond === 0) return [];
  const connections: Socket[] = [];
  const open = (slot: number): void => {
    const socket = connect({ host: '127.0.0.1', port: plan.dnsPort, localAddress: source(plan) });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (Date.now() < deadline - 1000) setTimeout(() => open(slot), 200).unref();
    });
    connections[slot] = socket;
  };
  for (let slot = 0; slot < FILL_CONNECTIONS; slot++) open(slot);
  return connections;
}

const FILL_CONNECTIONS = 4;

export async function attack(plan: AttackPlan): Promise<AttackReport> {
  const deadline = Date.now() + plan.seconds * 1000;
  const report: AttackReport = { index: plan.index, listeners: [], pipelinedQueries: 0, pipelinedBytes: 0, pipelinersClosedByServer: 0, garbageDatagrams: 0, cacheFillQueries: 0 };
  const sockets = new Set<Socket>();
  for (const target of plan.targets) {
    const counts: ListenerCounts = { listener: target.listener, opened: 0, refused: 0, closedByServer: 0, peakOpen: 0 };
    report.listeners.push(counts);
    if (plan.perListener > 0) slowloris(target, plan, deadline, counts, sockets);
  }
  for (let i = 0; i < plan.pipeliners; i++) pipeliner(plan, deadline, report, sockets, i);
  const stopFlood = udpFlood(plan, deadline, report);
  await new Promise((res) => setTimeout(res, plan.seconds * 1000));
  stopFlood();
  for (const s of sockets) s.destroy();
  return report;
}

if (process.argv[1]?.endsWith('soak-attack.js') === true && process.argv[2] !== undefined) {
  const plan = JSON.parse(process.argv[2]) as AttackPlan;
  const report = await attack(plan);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}
