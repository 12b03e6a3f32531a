/**
 * The querylog service in a daemon: entries reach the NDJSON file and a
 * syslog receiver on 127.0.0.1 (UDP datagrams; TCP octet-counted frames,
 * with a receiver that comes up late and one that goes away), exposures
 * from the real detector flagging a name several clients had resolved,
 * SIGHUP (new field names, file reopened), bad flags, and the metrics.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { aResponse, bot } from '../../../test/helpers/observations.js';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { freePort, waitFor } from '../../../test/support/daemon.js';
import { quietDaemon } from '../../../test/support/quiet-daemon.js';
import { defaultConfig, type Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import type { QueryLogEntry } from '../../model/query-log.js';
import type { Daemon } from '../daemon.js';
import { parseSyslogTarget, queryLogService, type QueryLogService } from './index.js';
import { SD_ID } from './syslog-format.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-querylog-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function config(edit: (c: Config) => void = () => undefined): Config {
  const c = defaultConfig();
  c.customers = [{ id: 'acme', name: 'Acme', contact: '', networks: ['10.0.0.0/24'] }];
  edit(c);
  return c;
}

async function started(c: Config, flags: Record<string, unknown>): Promise<{ daemon: Daemon; service: QueryLogService }> {
  const daemon = quietDaemon(c, { enricher: octetEnricher, factories: [queryLogService()], flags });
  await daemon.start();
  cleanups.push(() => daemon.stop());
  const service = daemon.services.find((s) => s.name === 'querylog') as QueryLogService;
  return { daemon, service };
}

function entry(i: number, over: Partial<QueryLogEntry> = {}): QueryLogEntry {
  return { ts: 1764930030 + i, client: '10.0.0.9', customer: 'acme', name: `n${i}.flux.test`, qtype: 'A', action: 'nxdomain', rcode: 'NXDOMAIN', domain: 'flux.test', verdict: 'fast-flux', score: 90, rule: 'verdict', reason: 'r', ...over };
}

function ndjson(path: string): QueryLogEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as QueryLogEntry);
}

/** A TCP syslog receiver that splits octet-counted frames. */
async function tcpReceiver(port = 0): Promise<{ server: Server; port: number; messages: string[]; sockets: Set<Socket> }> {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const space = buffered.indexOf(0x20);
        if (space < 0) return;
        const length = Number(buffered.subarray(0, space).toString('ascii'));
        if (buffered.length < space + 1 + length) return;
        messages.push(buffered.subarray(space + 1, space + 1 + length).toString('utf8'));
        buffered = buffered.subarray(space + 1 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const address = server.address();
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0, messages, sockets };
}

describe('querylog service', () => {
  it('writes every entry to the NDJSON file and to syslog over UDP, one message per datagram', async () => {
    const dir = tempDir();
    const udp = createSocket('udp4');
    const datagrams: string[] = [];
    udp.on('message', (m) => datagrams.push(m.toString('utf8')));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => udp.close(() => r())));
    const path = join(dir, 'q.ndjson');
    const { daemon, service } = await started(config(), { querylogNdjson: path, querylogSyslog: `udp:127.0.0.1:${udp.address().port}` });
    const entries = Array.from({ length: 50 }, (_, i) => entry(i));
    for (const e of entries) daemon.context.logQuery(e);
    await waitFor('50 datagrams', () => datagrams.length === 50);
    await service.ndjson!.drained();
    expect(ndjson(path)).toEqual(entries);
    expect(datagrams[0]).toMatch(new RegExp(`^<132>1 2025-12-05T10:20:30\\.000Z \\S+ fluxhound ${process.pid} block \\[${SD_ID.replace('.', '\\.')} ts="1764930030" client="10\\.0\\.0\\.9" customer="acme" name="n0\\.flux\\.test"`));
    const text = await daemon.context.registry.metrics();
    expect(text).toMatch(/^fluxhound_querylog_entries_total\{action="nxdomain"\} 50$/m);
    expect(text).toMatch(/^fluxhound_querylog_written_total\{sink="ndjson"\} 50$/m);
    expect(text).toMatch(/^fluxhound_querylog_written_total\{sink="syslog"\} 50$/m);
    expect(text).toMatch(/^fluxhound_querylog_syslog_up 1$/m);
  });

  it('sends octet-counted frames over TCP, to a receiver that comes up late, and again after it went away', async () => {
    const port = await freePort();
    const c = config((x) => {
      x.serve.querylog.syslog.address = `127.0.0.1:${port}`;
      x.serve.querylog.syslog.transport = 'tcp';
      x.serve.querylog.syslog.appName = 'fh test';
      x.serve.querylog.syslog.facility = 1;
      x.serve.querylog.maxPending = 100;
    });
    const { daemon, service } = await started(c, { dns: '127.0.0.1:0' });
    // Nobody listens yet: entries wait in the queue, the overflow is dropped and counted.
    for (let i = 0; i < 130; i++) daemon.context.logQuery(entry(i, { action: 'pass', rcode: 'NOERROR', domain: null, verdict: null, score: null, rule: null, reason: null }));
    expect(service.syslog!.pending).toBe(100);
    expect(service.syslog!.stats.dropped).toBe(30);
    const receiver = await tcpReceiver(port);
    await waitFor('100 frames', () => receiver.messages.length === 100, 20_000);
    expect(receiver.messages[0]).toMatch(/^<14>1 \S+ \S+ fhtest \d+ query \[fluxhound@32473 ts="1764930030" client="10\.0\.0\.9" customer="acme" name="n0\.flux\.test" qtype="A" action="pass" rcode="NOERROR"\] pass n0\.flux\.test A for 10\.0\.0\.9 \(customer acme\): NOERROR$/);
    expect(service.syslog!.reconnects).toBeGreaterThan(0);
    // The receiver drops the connection: fluxhound connects again and goes on.
    for (const s of receiver.sockets) s.destroy();
    await waitFor('the connection lost', () => service.syslog!.up === 0);
    daemon.context.logQuery(entry(500));
    await waitFor('the frame after reconnecting', () => receiver.messages.some((m) => m.includes('name="n500.flux.test"')), 20_000);
    const text = await daemon.context.registry.metrics();
    expect(text).toMatch(/^fluxhound_querylog_dropped_total\{sink="syslog"\} 30$/m);
  });

  it('reports the clients that resolved a name before the detector flagged it, each with its customer', async () => {
    const dir = tempDir();
    const path = join(dir, 'q.ndjson');
    const { daemon, service } = await started(config(), { querylogNdjson: path });
    const t0 = Date.now() / 1000 - 120;
    // Three clients (two of acme's, one outside) resolve the name while it answers one address;
    // then a fourth sees it rotate across many networks, until the detector flags it.
    const early = ['10.0.0.1', '10.0.0.2', '192.0.2.50'];
    early.forEach((client, k) => daemon.context.observations.observe(aResponse(t0 + k, 'www.flux.test', [bot(0)], 30, { client })));
    // The outside address again, this time a client that named acme over DoH (/dns-query/acme): an exposure of its own, acme's.
    const named = aResponse(t0 + 2.5, 'www.flux.test', [bot(0)], 30, { client: '192.0.2.50' });
    named.customer = 'acme';
    daemon.context.observations.observe(named);
    expect(daemon.context.flagged.size).toBe(0);
    let i = 3;
    while (daemon.context.flagged.size === 0 && i < 200) {
      daemon.context.observations.observe(aResponse(t0 + i, 'www.flux.test', [0, 1, 2, 3].map((k) => bot(i * 4 + k)), 30, { client: '10.0.0.3' }));
      i++;
    }
    expect(daemon.context.flagged.size).toBe(1);
    const flagged = [...daemon.context.flagged.entries()][0]!;
    const exposed = await waitFor('the exposures', async () => {
      await service.ndjson!.drained();
      const found = ndjson(path).filter((e) => e.action === 'exposed');
      return found.length === 5 ? found : undefined;
    });
    expect(exposed.map((e) => [e.client, e.customer, e.name, e.qtype, e.rcode, e.domain, e.verdict, e.rule]).sort()).toEqual(
      [
        ['10.0.0.1', 'acme', 'www.flux.test', 'A', null, 'www.flux.test', flagged.verdict, 'verdict'],
        ['10.0.0.2', 'acme', 'www.flux.test', 'A', null, 'www.flux.test', flagged.verdict, 'verdict'],
        ['10.0.0.3', 'acme', 'www.flux.test', 'A', null, 'www.flux.test', flagged.verdict, 'verdict'],
        ['192.0.2.50', null, 'www.flux.test', 'A', null, 'www.flux.test', flagged.verdict, 'verdict'],
        ['192.0.2.50', 'acme', 'www.flux.test', 'A', null, 'www.flux.test', flagged.verdict, 'verdict'],
      ].sort(),
    );
    for (const e of exposed) {
      expect(e.ts).toBe(Date.parse(flagged.last_seen) / 1000);
      expect(e.score).toBe(flagged.score);
      expect(e.reason).toBe(flagged.reasons[0]);
    }
    expect(await daemon.context.registry.metrics()).toMatch(/^fluxhound_querylog_exposed_total 5$/m);
  });

  it('takes new field names on SIGHUP and reopens the file (logrotate)', async () => {
    const dir = tempDir();
    const path = join(dir, 'q.ndjson');
    const c = config();
    const { daemon, service } = await started(c, { querylogNdjson: path });
    daemon.context.logQuery(entry(0));
    await service.ndjson!.drained();
    renameSync(path, `${path}.1`);
    c.serve.querylog.fields = 'ecs';
    await daemon.reload();
    daemon.context.logQuery(entry(1));
    await service.ndjson!.drained();
    expect(ndjson(`${path}.1`)).toEqual([entry(0)]);
    const [ecs] = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(ecs!.dns).toEqual({ question: { name: 'n1.flux.test', type: 'A' }, response_code: 'NXDOMAIN' });
    expect(ecs!.organization).toEqual({ id: 'acme' });
  });

  it('is off without a use for it or when disabled, and refuses a bad syslog address in one line', () => {
    const none = quietDaemon(config(), { factories: [queryLogService()], flags: {} });
    expect(none.services).toHaveLength(0);
    const disabled = quietDaemon(config((c) => (c.serve.querylog.enabled = false)), { factories: [queryLogService()], flags: { querylogNdjson: '/tmp/x' } });
    expect(disabled.services).toHaveLength(0);
    expect(() => quietDaemon(config(), { factories: [queryLogService()], flags: { querylogSyslog: 'syslog.example:514' } })).toThrow(UsageError);
    expect(() => quietDaemon(config(), { factories: [queryLogService()], flags: { querylogSyslog: 'tcp:127.0.0.1:99999' } })).toThrow(/^serve: --querylog-syslog: 'tcp:127.0.0.1:99999'|port must be 1..65535/);
    expect(parseSyslogTarget('tcp:[::1]:6514', 'udp', 'x')).toEqual({ endpoint: { host: '::1', port: 6514, family: 6 }, transport: 'tcp' });
    expect(parseSyslogTarget('127.0.0.1', 'udp', 'x')).toEqual({ endpoint: { host: '127.0.0.1', port: 514, family: 4 }, transport: 'udp' });
  });
});

describe('querylog service stop', () => {
  it('stops at once when its TCP syslog receiver never came up', async () => {
    const port = await freePort();
    const daemon = quietDaemon(config(), { factories: [queryLogService()], flags: { querylogSyslog: `tcp:127.0.0.1:${port}` } });
    await daemon.start();
    daemon.context.logQuery(entry(0));
    const service = daemon.services[0] as QueryLogService;
    await waitFor('a refused connection', () => service.syslog!.stats.errors > 0);
    // Resolves (the test's own time-out would catch a hang), leaving the undelivered entry counted as pending.
    await daemon.stop();
    expect(service.syslog!.pending).toBe(1);
    expect(service.syslog!.up).toBe(0);
  });
});
