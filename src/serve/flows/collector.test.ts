/**
 * The collector over real UDP on 127.0.0.1: the real exporters' datagrams of
 * test/fixtures/flows replayed to it, flows checked against the decoder run
 * on the same bytes and the Logstash oracle's values; hostile exporters
 * (outside the ACL, over the cap, garbage, oversize, a flood) refused or
 * skipped and counted, never a crash.
 */
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.js';
import type { FlowRecord } from '../../model/flow.js';
import type { ObservationSink } from '../../sources/source.js';
import { waitFor } from '../../../test/support/daemon.js';
import { FlowCollector, type FlowCollectorOptions } from './collector.js';
import { parseFlowListen } from './listen.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'flows');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const silent = pino({ level: 'silent' });

interface Recorded extends ObservationSink {
  flows: FlowRecord[];
}

function recorder(): Recorded {
  const flows: FlowRecord[] = [];
  return { flows, observe() {}, skip() {}, flow: (f) => flows.push(f) };
}

const running: FlowCollector[] = [];
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of running.splice(0)) await c.stop();
});

async function collector(overrides: Partial<FlowCollectorOptions> = {}): Promise<{ collector: FlowCollector; sink: Recorded }> {
  const sink = recorder();
  const c = new FlowCollector({
    listen: parseFlowListen('udp:127.0.0.1:0'),
    exporters: ['127.0.0.0/8', '::1/128'],
    maxExporters: 16,
    receiveBuffer: 1 << 20,
    templates: { lifetime: 1800, max: 10_000 },
    sink,
    log: silent,
    registry: new Registry(),
    ...overrides,
  });
  await c.start();
  running.push(c);
  return { collector: c, sink };
}

async function client(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  clients.push(s);
  return s;
}

async function send(from: Socket, port: number, ...datagrams: Buffer[]): Promise<void> {
  for (const d of datagrams) await new Promise<void>((resolve, reject) => from.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

const keyOf = (s: Socket): string => `127.0.0.1:${s.address().port}`;

/** Datagrams read and no longer waiting to be decoded. */
async function settled(c: FlowCollector, datagrams: number): Promise<void> {
  await waitFor(`${datagrams} datagrams handled`, async () => c.received >= datagrams && (await sample(c, 'fluxhound_flows_queued_bytes', '')) === 0, 5000, 10);
}

/** One sample of a family in the registry's text, or undefined. */
async function sample(c: FlowCollector, family: string, labels: string): Promise<number | undefined> {
  const text = await c.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${family}{${labels}}`) || (labels === '' && l.startsWith(`${family} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A copy of a v9 datagram with another package sequence (header bytes 12..15). */
function withV9Sequence(d: Buffer, sequence: number): Buffer {
  const copy = Buffer.from(d);
  copy.writeUInt32BE(sequence >>> 0, 12);
  return copy;
}

describe('FlowCollector over UDP on 127.0.0.1', () => {
  it('decodes real v5, v9 and IPFIX exports into flows for the sink, one template cache per exporter', async () => {
    const { collector: c, sink } = await collector();
    const exporter = await client();
    const files = ['netflow5.dat', 'netflow9_test_cisco_asa_1_tpl.dat', 'netflow9_test_cisco_asa_1_data.dat', 'ipfix_test_openbsd_pflow_tpl.dat', 'ipfix_test_openbsd_pflow_data.dat'];
    await send(exporter, c.port, ...files.map(fixture));
    await settled(c, files.length);
    expect(sink.flows).toHaveLength(2 + 14 + 26);
    // The Logstash oracle's values (src/sources/netflow/oracle.test.ts), now through the socket.
    expect(sink.flows[0]).toMatchObject({ src: '10.0.2.2', dst: '10.0.2.15', packets: 5, bytes: 230, srcPort: 54435, dstPort: 22, proto: 6, samplingRate: 1 });
    expect(sink.flows[3]).toMatchObject({ src: '192.168.23.22', srcPort: 17549, dst: '164.164.37.11', dstPort: 0, proto: 1, bytes: 56 });
    expect(sink.flows[41]).toMatchObject({ src: '192.168.0.1', dst: '192.168.0.17', packets: 8, bytes: 6425, srcPort: 80, dstPort: 64026, proto: 6 });
    expect(sink.flows[41]!.start).toBe(Date.parse('2016-07-21T13:29:59.000Z') / 1000);
    // The exporter is the datagram's source ip:port and its observation domain.
    expect(new Set(sink.flows.map((f) => f.exporter.slice(0, f.exporter.lastIndexOf('/'))))).toEqual(new Set([keyOf(exporter)]));
    expect(sink.flows[0]!.position).toBe(`${c.address} from ${keyOf(exporter)} datagram 1 record 1`);
    const labels = `exporter="${keyOf(exporter)}"`;
    expect(await sample(c, 'fluxhound_flows_datagrams_total', labels)).toBe(5);
    expect(await sample(c, 'fluxhound_flows_records_total', labels)).toBe(42);
    expect(await sample(c, 'fluxhound_flows_bytes_total', labels)).toBe(files.reduce((n, f) => n + fixture(f).length, 0));
    // 13 v9 templates (ASA) and 2 IPFIX ones (pflow: IPv4 and IPv6).
    expect(await sample(c, 'fluxhound_flows_templates_live', labels)).toBe(13 + 2);
    expect(await sample(c, 'fluxhound_flows_malformed_datagrams_total', labels)).toBe(0);
  });

  it('counts data lost for want of a template, then decodes once the template arrives', async () => {
    const { collector: c, sink } = await collector();
    const exporter = await client();
    await send(exporter, c.port, fixture('ipfix_test_openbsd_pflow_data.dat'));
    await settled(c, 1);
    expect(sink.flows).toHaveLength(0);
    const labels = `exporter="${keyOf(exporter)}"`;
    expect(await sample(c, 'fluxhound_flows_no_template_sets_total', labels)).toBe(1);
    expect(await sample(c, 'fluxhound_flows_templates_live', labels)).toBeUndefined();
    await send(exporter, c.port, fixture('ipfix_test_openbsd_pflow_tpl.dat'), fixture('ipfix_test_openbsd_pflow_data.dat'));
    await settled(c, 3);
    expect(sink.flows).toHaveLength(26);
    expect(await sample(c, 'fluxhound_flows_no_template_sets_total', labels)).toBe(1);
    expect(await sample(c, 'fluxhound_flows_templates_live', labels)).toBe(2);
    // The same template from another exporter (port) is another exporter's: its data is lost until it sends its own.
    const other = await client();
    await send(other, c.port, fixture('ipfix_test_openbsd_pflow_data.dat'));
    await settled(c, 4);
    expect(sink.flows).toHaveLength(26);
    expect(await sample(c, 'fluxhound_flows_no_template_sets_total', `exporter="${keyOf(other)}"`)).toBe(1);
  });

  it('counts v9 records lost for want of a template from the header count', async () => {
    const { collector: c } = await collector();
    const exporter = await client();
    const data = fixture('netflow9_test_cisco_asa_1_data.dat');
    await send(exporter, c.port, data);
    await settled(c, 1);
    // The ASA's data datagram: 14 records in its header, none readable without the 13 templates.
    expect(data.readUInt16BE(2)).toBe(14);
    expect(await sample(c, 'fluxhound_flows_no_template_records_total', `exporter="${keyOf(exporter)}"`)).toBe(14);
  });

  it('counts sequence gaps (v9 datagrams, v5 records), across the 2^32 wrap, and resets on restart', async () => {
    const { collector: c } = await collector();
    const v9 = await client();
    const tpl = fixture('netflow9_test_cisco_asa_1_tpl.dat');
    const data = fixture('netflow9_test_cisco_asa_1_data.dat');
    // 0xfffffffe, 0xffffffff, 0 in order; 3 (1 and 2 lost); then 0 again (the exporter restarted).
    await send(v9, c.port, withV9Sequence(tpl, 0xfffffffe), withV9Sequence(data, 0xffffffff), withV9Sequence(data, 0), withV9Sequence(data, 3), withV9Sequence(tpl, 0), withV9Sequence(data, 1));
    await settled(c, 6);
    const labels = `exporter="${keyOf(v9)}"`;
    expect(await sample(c, 'fluxhound_flows_sequence_lost_datagrams_total', labels)).toBe(2);
    expect(await sample(c, 'fluxhound_flows_sequence_resets_total', labels)).toBe(1);
    expect(await sample(c, 'fluxhound_flows_sequence_lost_records_total', labels)).toBe(0);

    const v5 = await client();
    const first = Buffer.from(fixture('netflow5_test_microtik.dat'));
    const records = first.readUInt16BE(2);
    const next = Buffer.from(first);
    // flow_sequence counts flows: the second datagram should carry first + 30; it carries first + 30 + 7.
    next.writeUInt32BE((first.readUInt32BE(16) + records + 7) >>> 0, 16);
    await send(v5, c.port, first, next);
    await settled(c, 8);
    expect(await sample(c, 'fluxhound_flows_sequence_lost_records_total', `exporter="${keyOf(v5)}"`)).toBe(7);
  });

  it('refuses exporters outside the ACL, counts each datagram, decodes nothing from them', async () => {
    const { collector: c, sink } = await collector({ exporters: ['192.0.2.0/24'] });
    const stranger = await client();
    await send(stranger, c.port, fixture('netflow5.dat'), fixture('netflow5.dat'), fixture('netflow5.dat'));
    await settled(c, 3);
    expect(sink.flows).toHaveLength(0);
    expect(c.exporterTable.size).toBe(0);
    expect(await sample(c, 'fluxhound_flows_refused_datagrams_total', 'reason="acl"')).toBe(3);
  });

  it('tracks at most maxExporters; a newcomer is refused and counted while they are all recent', async () => {
    let clock = 1_000_000;
    const { collector: c, sink } = await collector({ maxExporters: 2, now: () => clock, templates: { lifetime: 60, max: 100 } });
    const [a, b, newcomer] = [await client(), await client(), await client()];
    await send(a, c.port, fixture('netflow5.dat'));
    await send(b, c.port, fixture('netflow5.dat'));
    await settled(c, 2);
    await send(newcomer, c.port, fixture('netflow5.dat'));
    await settled(c, 3);
    expect(await sample(c, 'fluxhound_flows_refused_datagrams_total', 'reason="exporter_cap"')).toBe(1);
    expect(await sample(c, 'fluxhound_flows_exporters', '')).toBe(2);
    expect(sink.flows).toHaveLength(4);
    // Once the oldest has been silent past the template lifetime, the newcomer takes its place.
    clock += 61_000;
    await send(b, c.port, fixture('netflow5.dat'));
    await settled(c, 4);
    await send(newcomer, c.port, fixture('netflow5.dat'));
    await settled(c, 5);
    expect([...c.exporterTable.entries()].map(([key]) => key).sort()).toEqual([keyOf(b), keyOf(newcomer)].sort());
    expect(sink.flows).toHaveLength(8);
  });

  it('garbage, truncations and oversize datagrams are counted, never a crash; a good datagram still decodes after', async () => {
    const { collector: c, sink } = await collector({ maxDatagram: 2000 });
    const exporter = await client();
    let seed = 16;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const garbage: Buffer[] = [Buffer.alloc(0), Buffer.from([0, 9]), Buffer.alloc(2000, 0xff)];
    for (let i = 0; i < 40; i++) garbage.push(Buffer.from(Array.from({ length: 1 + (i * 37) % 900 }, random)));
    for (const version of [5, 9, 10]) {
      const d = Buffer.from(Array.from({ length: 300 }, random));
      d.writeUInt16BE(version, 0);
      garbage.push(d);
    }
    const asa = fixture('netflow9_test_cisco_asa_1_tpl.dat');
    for (let cut = 1; cut < asa.length; cut += 97) garbage.push(asa.subarray(0, cut));
    await send(exporter, c.port, ...garbage, Buffer.alloc(2001, 5), fixture('netflow5.dat'));
    await settled(c, garbage.length + 2);
    expect(await sample(c, 'fluxhound_flows_refused_datagrams_total', 'reason="oversize"')).toBe(1);
    const labels = `exporter="${keyOf(exporter)}"`;
    expect(await sample(c, 'fluxhound_flows_datagrams_total', labels)).toBe(garbage.length + 1);
    const malformed = (await sample(c, 'fluxhound_flows_malformed_datagrams_total', labels))!;
    expect(malformed).toBeGreaterThanOrEqual(43);
    expect(malformed).toBeLessThanOrEqual(garbage.length);
    expect(sink.flows.slice(-2).map((f) => f.src)).toEqual(['10.0.2.2', '10.0.2.15']);
  });

  it.runIf(existsSync('/proc/net/udp'))('a flood: the queue cap and the kernel buffer drop what does not fit, and every datagram sent is accounted for', async () => {
    const v5 = fixture('netflow5_test_microtik.dat');
    // A 64 KiB buffer holds a few dozen of these; libuv reads up to 32 per turn, the queue takes 3.
    const { collector: c } = await collector({ receiveBuffer: 65_536, maxQueueBytes: v5.length * 3 });
    const total = 400;
    // The event loop is blocked while another process sends: nothing is read, the kernel buffer overflows.
    const script = `const s=require('node:dgram').createSocket('udp4');const b=Buffer.from(process.argv[1],'base64');let n=0;const next=()=>{if(n++===${total})return s.close();s.send(b,${c.port},'127.0.0.1',next)};next();`;
    const run = spawnSync(process.execPath, ['-e', script, v5.toString('base64')], { timeout: 20_000 });
    expect(run.status).toBe(0);
    await waitFor('the flood read', async () => {
      const drops = (await sample(c, 'fluxhound_flows_kernel_drops_total', '')) ?? 0;
      return c.received + drops === total && (await sample(c, 'fluxhound_flows_queued_bytes', '')) === 0;
    }, 5000, 20);
    const drops = (await sample(c, 'fluxhound_flows_kernel_drops_total', ''))!;
    const queueFull = (await sample(c, 'fluxhound_flows_refused_datagrams_total', 'reason="queue_full"')) ?? 0;
    expect(drops).toBeGreaterThan(0);
    expect(queueFull).toBeGreaterThan(0);
    let decoded = 0;
    for (const [, stats] of c.exporterTable.entries()) decoded += stats.datagrams;
    expect(decoded + queueFull + drops).toBe(total);
  });

  it('decodes at most `batch` datagrams per event-loop turn: other I/O (DNS) runs between batches', async () => {
    const v5 = fixture('netflow5.dat');
    const { collector: c, sink } = await collector({ batch: 4 });
    // A turn counter that advances once per event-loop turn (check phase), as the drain does.
    let turn = 0;
    let ticking = true;
    const tick = (): void => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const turnOfFlow: number[] = [];
    const record = sink.flow!;
    sink.flow = (f) => {
      turnOfFlow.push(turn);
      record(f);
    };
    const total = 40;
    // Blocked while another process sends: the datagrams wait in the kernel and are read in bursts of up to 32.
    const script = `const s=require('node:dgram').createSocket('udp4');const b=Buffer.from(process.argv[1],'base64');let n=0;const next=()=>{if(n++===${total})return s.close();s.send(b,${c.port},'127.0.0.1',next)};next();`;
    expect(spawnSync(process.execPath, ['-e', script, v5.toString('base64')], { timeout: 20_000 }).status).toBe(0);
    await settled(c, total);
    ticking = false;
    expect(sink.flows).toHaveLength(total * 2);
    const datagramsPerTurn = new Map<number, number>();
    for (const t of turnOfFlow) datagramsPerTurn.set(t, (datagramsPerTurn.get(t) ?? 0) + 0.5);
    expect(Math.max(...datagramsPerTurn.values())).toBe(4);
  });

  it('a reload applies a changed exporters ACL all or nothing', async () => {
    const { collector: c, sink } = await collector({ exporters: ['192.0.2.0/24'] });
    const exporter = await client();
    const bad = defaultConfig();
    bad.serve.flows.exporters = ['127.0.0.0/8', 'not-a-network'];
    await expect(c.prepareReload(bad)).rejects.toThrow("serve.flows.exporters: 'not-a-network' is not an IPv4 or IPv6 CIDR");
    await send(exporter, c.port, fixture('netflow5.dat'));
    await settled(c, 1);
    expect(sink.flows).toHaveLength(0);
    const good = defaultConfig();
    good.serve.flows.exporters = ['127.0.0.1/32'];
    const commit = await c.prepareReload(good);
    await send(exporter, c.port, fixture('netflow5.dat'));
    await settled(c, 2);
    expect(sink.flows).toHaveLength(0);
    commit();
    await send(exporter, c.port, fixture('netflow5.dat'));
    await settled(c, 3);
    expect(sink.flows).toHaveLength(2);
  });

  it('listens on IPv6 loopback; the exporter key brackets the address', async () => {
    const { collector: c, sink } = await collector({ listen: parseFlowListen('udp:[::1]:0') });
    expect(c.address).toBe(`udp:[::1]:${c.port}`);
    const s = createSocket('udp6');
    await new Promise<void>((resolve) => s.bind(0, '::1', resolve));
    clients.push(s);
    await new Promise<void>((resolve, reject) => s.send(fixture('netflow5.dat'), c.port, '::1', (err) => (err ? reject(err) : resolve())));
    await settled(c, 1);
    expect(sink.flows).toHaveLength(2);
    expect(sink.flows[0]!.exporter).toBe(`[::1]:${s.address().port}/0`);
    expect(await sample(c, 'fluxhound_flows_records_total', `exporter="[::1]:${s.address().port}"`)).toBe(2);
  });

  it('a port in use is one line', async () => {
    const { collector: first } = await collector();
    const second = new FlowCollector({
      listen: parseFlowListen(`udp:127.0.0.1:${first.port}`),
      exporters: ['127.0.0.0/8'], maxExporters: 1, receiveBuffer: 65536, templates: { lifetime: 1800, max: 10 }, sink: recorder(), log: silent,
    });
    await expect(second.start()).rejects.toThrow(`flows: cannot listen on udp:127.0.0.1:${first.port}: address in use`);
  });
});
