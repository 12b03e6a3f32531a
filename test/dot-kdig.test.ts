/**
 * DNS over TLS (RFC 7858) with real parts: an in-process forwarder with a
 * certificate from a test CA that openssl makes here, asked by kdig
 * (knot-dnsutils) with `+tls-ca +tls-hostname`: an answer and a block, and
 * a refusal when the name does not match. Then what kdig does not show:
 * ALPN 'dot', TLS 1.1 refused, queries pipelined on one connection each
 * answered under its own id, and the listener counted by the governor.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { Daemon } from '../src/serve/daemon.js';
import { DnsForwarder } from '../src/serve/dns/forwarder.js';
import { verdictFixture } from '../src/store/store.case.js';
import { startFixedUpstream, type AnsweringAuthority } from './support/answer-all.js';
import { findBinary } from './support/binaries.js';
import { makeTestCertificates, openssl } from './support/test-certs.js';
import { testForwarderOptions } from './support/forwarder-options.js';
import { octetEnricher } from './helpers/octet-enricher.js';

const kdig = findBinary('kdig', 'knot-dnsutils');
const ready = openssl.path !== null && kdig.path !== null;

function runKdig(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(kdig.path!, args, { timeout: 10_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

function frame(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length + 2);
  out.writeUInt16BE(bytes.length);
  bytes.copy(out, 2);
  return out;
}

describe.skipIf(!ready)('serve --dot: DNS over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-dot-'));
  let upstream: AnsweringAuthority;
  // The answer for slow.example.test waits until the test releases it; every other name is answered at once.
  let releaseSlow: () => void = () => undefined;
  const slow = new Promise<void>((resolve) => {
    releaseSlow = resolve;
  });
  let files: { ca: string; cert: string; key: string };
  let daemon: Daemon;
  let fwd: DnsForwarder;

  beforeAll(async () => {
    files = makeTestCertificates(dir, 'dns.test');
    upstream = await startFixedUpstream({ hold: (name) => (name === 'slow.example.test' ? slow : undefined) });
    daemon = new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
    fwd = new DnsForwarder(testForwarderOptions(upstream.port, { dot: { listen: { host: '127.0.0.1', port: 0, family: 4 }, tls: { cert: files.cert, key: files.key } } }), daemon.context);
    await fwd.start();
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
  });

  afterAll(async () => {
    await fwd?.stop();
    releaseSlow();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const kdigTls = (name: string, hostname = 'dns.test'): Promise<string> =>
    runKdig(['@127.0.0.1', '-p', String(fwd.dotPort), '+tls', `+tls-ca=${files.ca}`, `+tls-hostname=${hostname}`, 'A', name]);

  it('answers kdig +tls with the CA and the hostname verified', async () => {
    expect(fwd.dotPort).toBeGreaterThan(0);
    const out = await kdigTls('www.example.test');
    expect(out).toMatch(/TLS session \(TLS1\.[23]\)/);
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
  });

  it('blocks a flagged name over TLS as over UDP (policy.fastFlux: nxdomain)', async () => {
    const out = await kdigTls('www.flux.test');
    expect(out).toMatch(/status: NXDOMAIN/);
    expect(out).not.toMatch(/192\.0\.2\.1/);
  });

  it('pads the answer to a 468-byte block when kdig pads its query (RFC 8467), and not when it does not', async () => {
    const padded = await runKdig(['@127.0.0.1', '-p', String(fwd.dotPort), '+tls', `+tls-ca=${files.ca}`, '+tls-hostname=dns.test', '+padding', 'A', 'pad.example.test']);
    expect(padded).toMatch(/status: NOERROR/);
    expect(padded).toMatch(/PADDING: \d+ B/);
    expect(padded).toMatch(/Received 468 B/);
    const plain = await runKdig(['@127.0.0.1', '-p', String(fwd.dotPort), '+tls', `+tls-ca=${files.ca}`, '+tls-hostname=dns.test', '+nopadding', '+noedns', 'A', 'pad.example.test']);
    expect(plain).toMatch(/status: NOERROR/);
    expect(plain).not.toMatch(/PADDING/);
    expect(plain).not.toMatch(/Received 468 B/);
  });

  it('is refused by kdig when the certificate names another host', async () => {
    const out = await kdigTls('www.example.test', 'other.test');
    expect(out).not.toMatch(/status: NOERROR/);
    expect(out).toMatch(/TLS, handshake failed \(Error in the certificate\.\)/);
  });

  it('speaks ALPN dot, refuses TLS 1.1, and answers pipelined queries each under its own id, out of order', async () => {
    const old = await new Promise<string>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port: fwd.dotPort, ca: [], rejectUnauthorized: false, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => resolve('connected'));
      s.on('error', () => resolve('refused'));
    });
    expect(old).toBe('refused');

    // The first query is held upstream until the other three are answered on this connection, then released.
    const names = ['slow.example.test', 'a.example.test', 'b.example.test', 'www.flux.test'];
    const got = await new Promise<{ alpn: string | false; answers: { id: number; rcode: string; name: string }[] }>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: fwd.dotPort, servername: 'dns.test', ca: readFileSync(files.ca, 'utf8'), ALPNProtocols: ['dot'] }, () => {
        s.write(Buffer.concat(names.map((name, i) => frame(packet.encode({ type: 'query', id: 100 + i, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] })))));
      });
      let buffered = Buffer.alloc(0);
      const answers: { id: number; rcode: string; name: string }[] = [];
      s.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          const d = packet.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))) as unknown as { id: number; rcode: string; questions: { name: string }[] };
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
          answers.push({ id: d.id, rcode: d.rcode, name: d.questions[0]!.name });
        }
        if (answers.length === names.length - 1) releaseSlow();
        if (answers.length === names.length) {
          resolve({ alpn: s.alpnProtocol ?? false, answers });
          s.end();
        }
      });
      s.on('error', reject);
    });
    expect(got.alpn).toBe('dot');
    expect(got.answers.map((a) => a.id).sort()).toEqual([100, 101, 102, 103]);
    expect(got.answers.find((a) => a.id === 103)).toMatchObject({ rcode: 'NXDOMAIN', name: 'www.flux.test' });
    expect(got.answers.find((a) => a.id === 100)).toMatchObject({ rcode: 'NOERROR', name: 'slow.example.test' });
    // Out of order: the three later queries were answered while the first was still held.
    expect(got.answers.at(-1)?.id).toBe(100);
    const accepted = await daemon.context.registry.getSingleMetricAsString('fluxhound_net_connections_accepted_total');
    expect(accepted).toMatch(/listener="dns-tls"\} [1-9]/);
  });

  // Last: it swaps the certificate files under the running listener.
  it('re-reads the certificate on reload (SIGHUP); a key that does not match refuses the reload and the old one stays', async () => {
    makeTestCertificates(dir, 'dns2.test', [], { reuseCa: true });
    const commit = await fwd.prepareReload(defaultConfig());
    commit();
    expect(await kdigTls('www.example.test', 'dns2.test')).toMatch(/status: NOERROR/);
    writeFileSync(files.key, readFileSync(join(dir, 'ca.key')));
    await expect(fwd.prepareReload(defaultConfig())).rejects.toThrow(/^dns: TLS .*: the key does not belong to the certificate/);
    expect(await kdigTls('www.example.test', 'dns2.test')).toMatch(/status: NOERROR/);
  });

  it('cuts a half-open TLS handshake at the governor first-byte deadline, counted under dns-tls as handshake_deadline', async () => {
    const config = defaultConfig();
    config.serve.net.firstByteMs = 200;
    const hostile = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
    const other = makeTestCertificates(mkdtempSync(join(tmpdir(), 'fluxhound-dot-hostile-')), 'dns.test');
    const f = new DnsForwarder(testForwarderOptions(upstream.port, { dot: { listen: { host: '127.0.0.1', port: 0, family: 4 }, tls: { cert: other.cert, key: other.key } } }), hostile.context);
    await f.start();
    try {
      await new Promise<void>((resolve) => {
        // The first bytes of a TLS record header, then nothing: a handshake that never completes. The server closes it.
        const s = connect(f.dotPort, '127.0.0.1', () => s.write(Buffer.from([0x16, 0x03, 0x01])));
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
      const refused = await hostile.context.registry.getSingleMetricAsString('fluxhound_net_refused_total');
      expect(refused).toMatch(/listener="dns-tls",reason="handshake_deadline"\} 1/);
    } finally {
      await f.stop();
    }
  });
});
