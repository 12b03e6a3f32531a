import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Command } from 'commander';
import type { DnsObservation, SkippedRecord } from '../../model/observation.js';
import { encodeDnstap } from '../../../test/support/dnstap-encode.js';
import { CONTROL_ACCEPT, CONTROL_FINISH, CONTROL_READY, CONTROL_START, CONTROL_STOP, DNSTAP_CONTENT_TYPE, encodeControl, encodeData } from '../../sources/dnstap/frames.js';
import { DnstapPayloads } from '../../sources/dnstap/payload.js';
import { ResponseConflicts } from '../../sources/dns-wire/conflicts.js';
import { splitAt } from '../../sources/conformance.case.js';
import { DnstapConnection, emptyCounters } from './connection.js';
import { MessageType } from '../../sources/dnstap/protobuf.js';
import { T0, clientResponse, fluxAnswers, query, response } from '../../sources/dnstap/samples.case.js';
import { waitFor } from '../../../test/support/daemon.js';
import type { ServeContext } from '../service.js';
import { dnstapService, parseEndpoint } from './index.js';
import { DnstapService } from './listener.js';
import { FrameStreamsProducer, targetOf } from '../../../test/support/dnstap-producer.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-dnstap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const silent = pino({ level: 'silent' });

class Collected {
  observations: DnsObservation[] = [];
  skipped: SkippedRecord[] = [];
  readonly sink = {
    observe: (o: DnsObservation) => this.observations.push(o),
    skip: (s: SkippedRecord) => this.skipped.push(s),
  };
}

const running: DnstapService[] = [];
afterEach(async () => {
  for (const service of running.splice(0)) await service.stop();
});

async function serve(endpoints: string[], extra: { maxConnections?: number; handshakeMs?: number } = {}): Promise<{ service: DnstapService; got: Collected }> {
  const got = new Collected();
  const service = new DnstapService({ endpoints: endpoints.map((e) => parseEndpoint(e, false)), sink: got.sink, log: silent, ...extra });
  running.push(service);
  await service.start();
  return { service, got };
}

const answer = (i: number) => response(`n${i}.flux-example.net`, 'A', fluxAnswers(`n${i}.flux-example.net`, [`198.51.100.${i % 250}`, `203.0.113.${i % 250}`]));

describe('dnstap listener', () => {
  it('does the bidirectional handshake over a unix socket and takes every response', async () => {
    const path = join(dir, 'bidi.sock');
    const { service, got } = await serve([`unix:${path}`]);
    expect(statSync(path).mode & 0o777).toBe(0o660);
    const producer = await FrameStreamsProducer.connect({ path });
    for (let i = 0; i < 500; i++) producer.send(clientResponse(answer(i)));
    producer.send(encodeDnstap({ type: MessageType.CLIENT_QUERY, queryTimeSec: T0, queryMessage: query('q.example') }));
    expect(await producer.finish()).toBe(true); // STOP answered by FINISH
    await waitFor('all observations', () => got.observations.length === 500);
    expect(got.observations[499]).toMatchObject({ qname: 'n499.flux-example.net', client: '192.0.2.10', rcode: 'NOERROR' });
    expect(got.skipped).toEqual([]);
    const counters = service.counters().get(`unix:${path}`)!;
    expect(counters).toMatchObject({ connections: 1, open: 0, frames: 504, messages: 500, ignored: 1, bad: 0 });
    const metrics = await service.registry.metrics();
    expect(metrics).toContain(`fluxhound_dnstap_messages_total{endpoint="unix:${path}"} 500`);
    expect(metrics).toContain(`fluxhound_dnstap_connections_open{endpoint="unix:${path}"} 0`);
    expect(metrics).toContain('fluxhound_dnstap_messages_by_type_total{type="CLIENT_RESPONSE"} 500');
    expect(metrics).toContain('fluxhound_dnstap_messages_by_type_total{type="CLIENT_QUERY"} 1');
  });

  it('marks and counts a second, different response to one query, a client\'s or the resolver\'s own upstream one', async () => {
    const path = join(dir, 'conflicts.sock');
    const { service, got } = await serve([`unix:${path}`]);
    const producer = await FrameStreamsProducer.connect({ path });
    const first = fluxAnswers('www.news.example', ['31.13.72.36']);
    const real = fluxAnswers('www.news.example', ['93.184.216.34']);
    producer.send(clientResponse(response('www.news.example', 'A', first)));
    producer.send(clientResponse(response('www.news.example', 'A', first)));
    producer.send(clientResponse(response('www.news.example', 'A', real), '192.0.2.10', { responseTimeNsec: 600_000_000 }));
    const upstream = { type: MessageType.RESOLVER_RESPONSE, queryPort: 33333, responsePort: 53 };
    producer.send(clientResponse(response('www.news.example', 'A', first), '192.0.2.53', upstream));
    producer.send(clientResponse(response('www.news.example', 'A', real), '192.0.2.53', { ...upstream, responseTimeNsec: 600_000_000 }));
    expect(await producer.finish()).toBe(true);
    await waitFor('all observations', () => got.observations.length === 5);
    expect(got.observations.map((o) => o.conflict === true)).toEqual([false, false, true, false, true]);
    expect(service.counters().get(`unix:${path}`)).toMatchObject({ messages: 5, conflicts: 2 });
    const metrics = await service.registry.metrics();
    expect(metrics).toContain('# HELP fluxhound_dnstap_conflicting_responses_total Responses that were a second, different response');
    expect(metrics).toContain(`fluxhound_dnstap_conflicting_responses_total{endpoint="unix:${path}"} 2`);
  });

  it('takes a unidirectional sender (START without READY) over loopback TCP', async () => {
    const { service, got } = await serve(['tcp:127.0.0.1:0']);
    const address = service.addresses()[0]!;
    expect(address).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    const producer = await FrameStreamsProducer.connect(targetOf(address), { bidirectional: false });
    for (let i = 0; i < 50; i++) producer.send(clientResponse(answer(i), '2001:db8::7'));
    await producer.finish();
    await waitFor('all observations', () => got.observations.length === 50);
    expect(got.observations[0]!.client).toBe('2001:db8::7');
  });

  it('survives hostile peers, reports each with its peer, and still takes a good peer whole', async () => {
    const path = join(dir, 'hostile.sock');
    const { service, got } = await serve([`unix:${path}`]);
    const label = `unix:${path}`;
    const closedBy = async (bytes: Buffer[]) => {
      const socket = connect({ path });
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.on('error', () => undefined);
      for (const b of bytes) socket.write(b);
      await new Promise((resolve) => socket.once('close', resolve));
    };
    // Garbage from the first byte: a "control frame" of absurd length.
    await closedBy([Buffer.from([0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3])]);
    // A data frame over the 256 KiB cap after a proper START.
    await closedBy([encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE]), Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(1000)]);
    // The wrong content type, in READY and in START.
    await expect(FrameStreamsProducer.connect({ path }, { contentType: 'protobuf:other.Thing' })).rejects.toThrow(/connection closed/);
    await closedBy([encodeControl(CONTROL_START, ['protobuf:other.Thing']), encodeData(clientResponse(answer(1)))]);
    // Malformed frames inside a good stream are skipped; the connection goes on.
    const sloppy = await FrameStreamsProducer.connect({ path });
    sloppy.send(Buffer.from('garbage protobuf'));
    sloppy.send(clientResponse(Buffer.from('garbage dns message')));
    sloppy.send(clientResponse(answer(7)));
    // ... and then disconnects in the middle of a frame.
    sloppy.sendRaw(encodeData(clientResponse(answer(8))).subarray(0, 40));
    await waitFor('the good frame of the sloppy peer', () => got.observations.length === 1);
    sloppy.close();
    await sloppy.whenClosed();
    await waitFor('the sloppy peer to be counted closed', () => service.counters().get(label)!.open === 0);

    const reasons = got.skipped.map((s) => s.reason);
    expect(reasons).toEqual([
      'control frame of 3735928559 bytes (4..512)',
      'data frame of 2147483647 bytes over the 262144-byte cap',
      `READY offers 'protobuf:other.Thing', not ${DNSTAP_CONTENT_TYPE}`,
      `START with content type 'protobuf:other.Thing', not ${DNSTAP_CONTENT_TYPE}`,
      'protobuf: field 12: wire type 7',
      expect.stringMatching(/^response_message: /),
      expect.stringMatching(/^peer disconnected mid-frame: truncated frame: 36 of \d+ bytes$/),
    ]);
    for (const s of got.skipped) expect(s.position.file).toMatch(new RegExp(`^${label}#\\d+$`));
    expect(got.skipped.map((s) => s.position.line)).toEqual([1, 1, 1, 1, 1, 2, 4]); // data frame numbers: the sloppy peer's 1, 2, then 4 cut short

    // The good peer afterwards: every message arrives.
    const good = await FrameStreamsProducer.connect({ path });
    for (let i = 0; i < 1000; i++) if (!good.send(clientResponse(answer(i)))) await good.drain();
    expect(await good.finish()).toBe(true);
    await waitFor('the good peer', () => got.observations.length === 1001);
    const counters = service.counters().get(label)!;
    expect(counters).toMatchObject({ connections: 6, open: 0, messages: 1001, bad: 7 });
  });

  it('closes a connection that never sends START', async () => {
    const { service } = await serve(['tcp:127.0.0.1:0'], { handshakeMs: 50 });
    const socket = connect(targetOf(service.addresses()[0]!) as { host: string; port: number });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('close', resolve));
  });

  it('refuses connections over the cap and takes them again once one closes', async () => {
    const path = join(dir, 'cap.sock');
    const { service, got } = await serve([`unix:${path}`], { maxConnections: 2 });
    const a = await FrameStreamsProducer.connect({ path });
    const b = await FrameStreamsProducer.connect({ path });
    await expect(FrameStreamsProducer.connect({ path })).rejects.toThrow();
    expect(service.counters().get(`unix:${path}`)!.refused).toBe(1);
    await a.finish();
    await waitFor('a slot', () => service.counters().get(`unix:${path}`)!.open === 1);
    const c = await FrameStreamsProducer.connect({ path });
    c.send(clientResponse(answer(3)));
    await c.finish();
    await b.finish();
    await waitFor('the message', () => got.observations.length === 1);
  });

  it('replaces a stale socket file, refuses a live one and a plain file, and removes its socket on stop', async () => {
    const stale = join(dir, 'stale.sock');
    // A listener killed with SIGKILL leaves its socket file behind.
    const script = `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`;
    expect(() => execFileSync(process.execPath, ['-e', script])).toThrow();
    expect(statSync(stale).isSocket()).toBe(true);
    const { service } = await serve([`unix:${stale}`]);
    await expect(serve([`unix:${stale}`])).rejects.toThrow(/another process is listening/);
    const plain = join(dir, 'plain.txt');
    writeFileSync(plain, 'keep me');
    await expect(serve([`unix:${plain}`])).rejects.toThrow(/exists and is not a socket/);
    await service.stop();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(plain)).toBe(true);
  });

  it('stops while a producer is connected, having taken what it sent', async () => {
    const path = join(dir, 'stop.sock');
    const { service, got } = await serve([`unix:${path}`]);
    const producer = await FrameStreamsProducer.connect({ path });
    for (let i = 0; i < 20; i++) producer.send(clientResponse(answer(i)));
    await waitFor('the frames', () => got.observations.length === 20);
    await service.stop();
    await producer.whenClosed();
    expect(existsSync(path)).toBe(false);
  });
});

describe('dnstap endpoints and flags', () => {
  it('parses unix and tcp endpoints', () => {
    expect(parseEndpoint('unix:/run/fluxhound/dnstap.sock', false)).toEqual({ kind: 'unix', path: '/run/fluxhound/dnstap.sock', label: 'unix:/run/fluxhound/dnstap.sock' });
    expect(parseEndpoint('tcp:127.0.0.1:6000', false)).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 6000 });
    expect(parseEndpoint('tcp:[::1]:6000', false)).toMatchObject({ kind: 'tcp', host: '::1', label: 'tcp:[::1]:6000' });
    expect(parseEndpoint('tcp:localhost:6000', false)).toMatchObject({ host: '127.0.0.1' });
  });

  it('refuses a non-loopback TCP address unless allowed, and bad syntax', () => {
    expect(() => parseEndpoint('tcp:0.0.0.0:6000', false)).toThrow(/not a loopback address.*--dnstap-allow-remote/);
    expect(() => parseEndpoint('tcp:192.0.2.1:6000', false)).toThrow(/not a loopback/);
    expect(parseEndpoint('tcp:192.0.2.1:6000', true)).toMatchObject({ host: '192.0.2.1' });
    expect(() => parseEndpoint('tcp:example.com:6000', true)).toThrow(/not an IP address/);
    expect(() => parseEndpoint('tcp:127.0.0.1:70000', false)).toThrow(/out of range/);
    expect(() => parseEndpoint('udp:127.0.0.1:6000', false)).toThrow(/expected unix/);
    expect(() => parseEndpoint(`unix:/${'x'.repeat(200)}`, false)).toThrow(/longer than 107 bytes/);
  });

  it('is off without --dnstap, and parses its flags once', () => {
    const command = new Command('serve').exitOverride();
    dnstapService.addOptions(command);
    const context = { observations: new Collected().sink, log: silent } as unknown as ServeContext;
    command.parse(['--dnstap', 'unix:/tmp/a.sock', '--dnstap', 'tcp:127.0.0.1:6000', '--dnstap-max-connections', '8'], { from: 'user' });
    const flags = command.opts();
    expect(flags.dnstap).toEqual(['unix:/tmp/a.sock', 'tcp:127.0.0.1:6000']);
    expect(dnstapService.create(flags, context)).toBeInstanceOf(DnstapService);
    expect(dnstapService.create({}, context)).toBeNull();
    expect(() => dnstapService.create({ ...flags, dnstapMaxConnections: '0' }, context)).toThrow(/max-connections/);
    expect(() => dnstapService.create({ ...flags, dnstapSocketMode: '999' }, context)).toThrow(/socket-mode/);
    expect(() => dnstapService.create({ dnstap: ['tcp:127.0.0.1:1', 'tcp:127.0.0.1:1'] }, context)).toThrow(/given twice/);
  });
});


describe('dnstap listener under internal failure', () => {
  it('drops the producer whose message made the detector throw, and keeps serving', async () => {
    const path = join(dir, 'throws.sock');
    let calls = 0;
    const got = new Collected();
    const service = new DnstapService({
      endpoints: [parseEndpoint(`unix:${path}`, false)],
      sink: {
        observe: (o) => {
          if (++calls === 1) throw new Error('detector bug');
          got.sink.observe(o);
        },
        skip: got.sink.skip,
      },
      log: silent,
    });
    running.push(service);
    await service.start();
    const first = await FrameStreamsProducer.connect({ path });
    first.send(clientResponse(answer(1)));
    await first.whenClosed();
    const second = await FrameStreamsProducer.connect({ path });
    second.send(clientResponse(answer(2)));
    expect(await second.finish()).toBe(true);
    await waitFor('the second message', () => got.observations.length === 1);
    expect(got.observations[0]!.qname).toBe('n2.flux-example.net');
  });
});

describe('DnstapConnection (fuzz)', () => {
  const frameArb = fc.oneof(
    fc.constant(encodeControl(CONTROL_READY, [DNSTAP_CONTENT_TYPE])),
    fc.constant(encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE])),
    fc.constant(encodeControl(CONTROL_STOP)),
    fc.constant(encodeData(clientResponse(answer(1)))),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => encodeData(Buffer.concat([Buffer.from([0x72]), Buffer.from(bytes)]))),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  );

  it('never throws on any mix of frames and garbage in any chunking, and counts what it takes', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), (frames, cuts) => {
        const got = new Collected();
        const written: Buffer[] = [];
        let destroyed = false;
        const socket = { write: (b: Buffer) => written.push(b), end: (b?: Buffer) => b && written.push(b), destroy: () => (destroyed = true) };
        const counters = emptyCounters();
        const connection = new DnstapConnection({ socket: socket as unknown as Socket, peer: 'fuzz', sink: got.sink, counters, payloads: new DnstapPayloads(), responses: new ResponseConflicts(), maxFrame: 1024 });
        for (const chunk of splitAt(Buffer.concat(frames), cuts)) connection.push(chunk);
        connection.closed();
        expect(counters.messages).toBe(got.observations.length);
        expect(counters.bad).toBe(got.skipped.length);
        expect(got.observations.length).toBeLessThanOrEqual(frames.length);
        for (const s of got.skipped) expect(s.position.file).toBe('fuzz');
        // A protocol violation closes the connection; replies are only ever ACCEPT and FINISH.
        for (const reply of written) expect([CONTROL_ACCEPT, CONTROL_FINISH]).toContain(reply.readUInt32BE(8));
        if (destroyed) expect(connection.failure).not.toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});
