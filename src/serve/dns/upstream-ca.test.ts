/**
 * The upstreams' CA bundle: checked when read (Node would take any bytes and
 * trust nothing), and re-read on SIGHUP all or nothing: a forwarder whose
 * DoT upstream's CA was wrong answers SERVFAIL, answers once the right CA is
 * in the file and the daemon reloads, and keeps answering when the file is
 * then spoiled (the reload is refused, the running CA stays).
 */
import { createSocket } from 'node:dgram';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { testForwarderOptions } from '../../../test/support/forwarder-options.js';
import { makeTestCertificates, openssl } from '../../../test/support/test-certs.js';
import { defaultConfig } from '../../config/schema.js';
import { Daemon } from '../daemon.js';
import { parseUpstream } from '../endpoint.js';
import { DnsForwarder } from './forwarder.js';
import { caSourceName, readCaBundle } from './upstream-ca.js';
import { ActiveConfirmation } from '../confirm/index.js';

async function rcodeOf(port: number, name: string): Promise<string | null> {
  const socket = createSocket('udp4');
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 3000);
      socket.on('message', (m) => {
        clearTimeout(timer);
        resolve((packet.decode(m) as { rcode?: string }).rcode ?? null);
      });
      socket.send(packet.encode({ type: 'query', id: 9, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

describe.skipIf(openssl.missing !== null)('upstream CA bundle', () => {
  let dir = '';
  let files: { ca: string; cert: string; key: string };
  let otherCa = '';
  let server: Server;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-upstream-ca-'));
    files = makeTestCertificates(dir, 'upstream.test');
    mkdirSync(join(dir, 'other'));
    otherCa = makeTestCertificates(join(dir, 'other'), 'upstream.test').ca;
    // A DoT upstream that answers one query per connection and closes it: every query makes a handshake.
    server = createServer({ key: readFileSync(files.key), cert: readFileSync(files.cert), ALPNProtocols: ['dot'] }, (socket) => {
      socket.on('error', () => {});
      socket.once('data', (chunk: Buffer) => {
        const q = packet.decode(chunk.subarray(2));
        const name = q.questions![0]!.name;
        const answer = packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED, questions: q.questions, answers: [{ type: 'A', name, ttl: 0, data: '192.0.2.4' }] });
        const framed = Buffer.alloc(answer.length + 2);
        framed.writeUInt16BE(answer.length, 0);
        answer.copy(framed, 2);
        socket.end(framed);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['a file that is not there', (p: string) => rmSync(p, { force: true }), /ENOENT/],
    ['no PEM at all', (p: string) => writeFileSync(p, 'not a certificate\n'), /no PEM certificate/],
    ['a private key', (p: string) => copyFileSync(files.key, p), /holds a (RSA |EC )?PRIVATE KEY/],
    ['a certificate cut short', (p: string) => writeFileSync(p, readFileSync(files.ca, 'latin1').replace(/^(-----BEGIN CERTIFICATE-----\n[^\n]*\n)[\s\S]*?(-----END CERTIFICATE-----)/, '$1$2')), /certificate 1 cannot be parsed/],
  ])('refuses %s', (_what, make, message) => {
    const file = join(dir, 'bad.pem');
    make(file);
    expect(() => readCaBundle(file)).toThrow(message);
    expect(() => readCaBundle(file)).toThrow(/^--upstream-ca .*bad\.pem: /);
    // From the config file, the message names the key, not a flag that was never given.
    expect(() => readCaBundle(file, caSourceName(false))).toThrow(/^serve\.dns\.upstreamCa .*bad\.pem: /);
  });

  it('SIGHUP re-reads it: the right CA takes effect, a spoiled file refuses the whole reload and the running CA stays', async () => {
    const caFile = join(dir, 'upstream-ca.pem');
    copyFileSync(otherCa, caFile);
    const daemon = new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
    const upstream = parseUpstream(`tls://127.0.0.1:${(server.address() as AddressInfo).port}#upstream.test`, 'test');
    const fwd = new DnsForwarder(
      testForwarderOptions(0, { upstreams: [upstream], timeout: 1000, cacheBytes: 0, upstreamCa: readCaBundle(caFile), upstreamCaSource: { file: caFile, fixed: true } }),
      daemon.context,
    );
    await fwd.start();
    daemon.services.push(fwd);
    try {
      expect(await rcodeOf(fwd.port, 'a.upstream.test')).toBe('SERVFAIL');
      copyFileSync(files.ca, caFile);
      expect(await daemon.reload()).toBe(true);
      expect(await rcodeOf(fwd.port, 'b.upstream.test')).toBe('NOERROR');
      writeFileSync(caFile, 'spoiled\n');
      await expect(fwd.prepareReload(defaultConfig())).rejects.toThrow(/^dns: --upstream-ca .*: no PEM certificate/);
      expect(await daemon.reload()).toBe(false);
      expect(await rcodeOf(fwd.port, 'c.upstream.test')).toBe('NOERROR');
      expect(fwd.upstreams.tlsTotals().handshakeFailures).toBe(1);
    } finally {
      await fwd.stop();
    }
  });
  it('confirm probes log a refused encrypted upstream as the forwarder does, by its scheme label, once a minute', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const daemon = new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log, out: null, factories: [], flags: {} });
    const upstream = parseUpstream(`tls://127.0.0.1:${(server.address() as AddressInfo).port}#upstream.test`, 'test');
    const probes = new ActiveConfirmation([upstream], daemon.context, readCaBundle(otherCa));
    probes.upstreams.start();
    const probe = packet.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'probe.upstream.test' }] });
    const answers = await Promise.all([1, 2].map(() => new Promise((resolve) => probes.upstreams.ask(probe, probe.length, 'confirm', resolve))));
    expect(answers).toEqual([null, null]);
    probes.upstreams.stop();
    const refused = lines.map((l) => JSON.parse(l) as { msg: string; service: string; upstream: string; reason: string }).filter((l) => l.msg === 'dns: encrypted upstream refused or unreachable');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ service: 'confirm', upstream: `tls://127.0.0.1:${upstream.port}#upstream.test` });
    expect(refused[0]!.reason).toMatch(/certificate/);
  });
});
