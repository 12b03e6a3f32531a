/**
 * The encrypted DNS bench's pieces, without timing asserts: reading dnsperf's
 * output, the DoH generator's wire forms (checked by a real node:http2 server
 * and by Unbound), the Unbound config (unbound-checkconf, then a real Unbound
 * answering dnsperf -m dot and the generator over DoH), and the summary.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../test/support/binaries.js';
import { makeTestCertificates } from '../test/support/test-certs.js';
import { dnsperf, freePort, LatencyHistogram, parseDnsperfOutput, start, waitForDns, type DnsperfResult, type Started } from './dns-run.js';
import { dohQueryPaths, FrameReader, h2Frame, headerBlockOf, hpackInteger, isStatus200, runDohLoad, spread } from './doh-load.js';
import { dnsperfTransportArgs, encryptedDnsOptionsFromEnv, formatEncryptedDns, summariseProtocol } from './encrypted-dns.js';
import { UNBOUND_VARIANTS, unboundVariantConfig } from './unbound-best.js';
import { unboundEncryptedLines } from './unbound-config.js';

const unbound = findBinary('unbound', 'unbound');
const checkconf = findBinary('unbound-checkconf', 'unbound');
const dnsperfBinary = findBinary('dnsperf', 'dnsperf');

/** dnsperf 2.10 -m dot -v, cut short: per-query lines, a timeout, the statistics and the connection block. */
const DOT_OUTPUT = `DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -m dot -s 127.0.0.1 -p 853 -d names -l 2 -c 2 -q 20 -v
> NOERROR n1.bench.test A 0.000100
> NOERROR n0.bench.test A 0.000200
> NOERROR n1.bench.test A 0.000300
> T n0.bench.test A
> NOERROR n0.bench.test A 0.004000
[Timeout] Query timed out: msg id 7
[Status] Testing complete (time limit)

Statistics:

  Queries sent:         5
  Queries completed:    4 (80.00%)
  Queries lost:         1 (20.00%)

  Response codes:       NOERROR 4 (100.00%)
  Average packet size:  request 31, response 47
  Run time (s):         2.051711
  Queries per second:   6394.175398

  Average Latency (s):  0.001150 (min 0.000100, max 0.004000)
  Latency StdDev (s):   0.001700

Connection Statistics:

  Reconnections:        2

  Average Latency (s):  0.029757 (min 0.024818, max 0.034696)
  Latency StdDev (s):   0.006985
`;

const run = (qps: number, p50: number | null = null, p99: number | null = null): DnsperfResult => ({ label: String(qps), qps, sent: 0, completed: 0, lost: 0, p50Ms: p50, p99Ms: p99, avgMs: null, reconnections: 0, cpuUsPerQuery: null, runQueueWait: null });

describe('parseDnsperfOutput', () => {
  it('reads the statistics, the reconnections and p50/p99 from the -v lines (timeouts have no latency)', () => {
    const f = parseDnsperfOutput(DOT_OUTPUT, 'Warning: socket 0x1 not ready\n');
    expect(f).toMatchObject({ qps: 6394.175398, sent: 5, completed: 4, lost: 1, reconnections: 2, p50Ms: 0.2, p99Ms: 4 });
    expect(f.avgMs).toBeCloseTo(1.15, 6);
    expect(f.summary).toContain('not ready');
    expect(f.summary).not.toContain('[Timeout]');
  });
  it('has no reconnections over UDP and no percentiles without -v; an unfinished run has no qps', () => {
    const udp = DOT_OUTPUT.replace(/^> .*\n/gm, '').replace(/Connection Statistics:[\s\S]*$/, '');
    const f = parseDnsperfOutput(udp);
    expect(f.reconnections).toBeNull();
    expect(f.p99Ms).toBeNull();
    expect(f.avgMs).toBeCloseTo(1.15, 6);
    expect(parseDnsperfOutput('[Status] Sending queries\n', 'Error: _http2_frame_recv_cb: frame received when already having a dns msg').qps).toBeNaN();
  });
});

describe('LatencyHistogram', () => {
  it('gives the sample at or above each share, in 1 µs steps; slower than 1 s in the last bin', () => {
    const h = new LatencyHistogram();
    expect(h.percentileMs(0.5)).toBeNull();
    for (let i = 1; i <= 100; i++) h.add(i / 1e4);
    h.add(5);
    expect(h.percentileMs(0.5)).toBe(5.1);
    expect(h.percentileMs(0.99)).toBe(10);
    expect(h.percentileMs(1)).toBe(1000);
  });
});

describe('the DoH generator on the wire', () => {
  it('asks each name of a dnsperf data file as a GET: ID 0, RD, base64url without padding', () => {
    const paths = dohQueryPaths('# comment\nn0.bench.test A\n\nn1.bench.test AAAA\n', '/dns-query');
    expect(paths).toHaveLength(2);
    const q = packet.decode(Buffer.from(paths[1]!.slice('/dns-query?dns='.length), 'base64url'));
    expect(q.id).toBe(0);
    expect(q.flags! & packet.RECURSION_DESIRED).toBe(packet.RECURSION_DESIRED);
    expect(q.questions).toEqual([{ name: 'n1.bench.test', type: 'AAAA', class: 'IN' }]);
    expect(paths[0]).not.toContain('=' + '=');
    expect(() => dohQueryPaths('n0.bench.test NOTATYPE\n', '/dns-query')).toThrow(/line 1/);
    expect(() => dohQueryPaths('\n', '/dns-query')).toThrow(/no names/);
  });
  it('spreads the queries in flight over the connections, none idle', () => {
    expect(spread(100, 4)).toEqual([25, 25, 25, 25]);
    expect(spread(10, 4)).toEqual([3, 3, 2, 2]);
    expect(spread(2, 4)).toEqual([1, 1, 1, 1]);
  });
  it('writes HPACK integers as RFC 7541 C.1 does', () => {
    expect(hpackInteger(10, 5, 0)).toEqual([10]);
    expect(hpackInteger(1337, 5, 0)).toEqual([31, 154, 10]);
    expect(hpackInteger(42, 8, 0)).toEqual([42]);
  });
  it('reads :status 200 as nghttp2 sends it, after table size updates; other statuses are not 200', () => {
    expect(isStatus200(Buffer.from([0x88]))).toBe(true);
    expect(isStatus200(Buffer.from([0x20, 0x88]))).toBe(true);
    expect(isStatus200(Buffer.from([0x3f, 0xe1, 0x1f, 0x88]))).toBe(true);
    expect(isStatus200(Buffer.from([0x8d]))).toBe(false);
    expect(isStatus200(Buffer.alloc(0))).toBe(false);
    expect(headerBlockOf(0x8 | 0x20, Buffer.from([2, 0, 0, 0, 0, 16, 0x88, 0, 0]))).toEqual(Buffer.from([0x88]));
  });
  it('splits frames that arrive in pieces', () => {
    const frames = Buffer.concat([h2Frame(0, 1, 3, Buffer.from('abc')), h2Frame(1, 4, 5, Buffer.from([0x88]))]);
    const seen: string[] = [];
    const reader = new FrameReader();
    for (const piece of [frames.subarray(0, 4), frames.subarray(4, 13), frames.subarray(13)]) reader.push(piece, (type, flags, stream, payload) => seen.push(`${type}/${flags}/${stream}/${payload.toString('hex')}`));
    expect(seen).toEqual(['0/1/3/616263', '1/4/5/88']);
  });

  describe('against node:http2 (a real HTTP/2 server reads its frames)', () => {
    let dir: string;
    let names: string;
    let port: number;
    const seen: { path: string; accept: string | undefined; authority: string | undefined }[] = [];
    const server = createSecureServer({ allowHTTP1: false });
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fluxhound-doh-load-'));
      const certs = makeTestCertificates(dir, 'dns.bench.test');
      server.setSecureContext({ cert: readFileSync(certs.cert), key: readFileSync(certs.key) });
      server.on('stream', (stream, headers) => {
        const path = String(headers[':path']);
        seen.push({ path, accept: headers.accept, authority: headers[':authority'] });
        // Every third name is refused: an HTTP error, not an answer.
        if (path.endsWith(dohQueryPaths('n2.bench.test A\n', '')[0]!)) {
          stream.respond({ ':status': 404 });
          stream.end();
          return;
        }
        stream.respond({ ':status': 200, 'content-type': 'application/dns-message' });
        stream.end(Buffer.alloc(40));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      port = (server.address() as { port: number }).port;
      names = join(dir, 'names.txt');
      writeFileSync(names, 'n0.bench.test A\nn1.bench.test A\nn2.bench.test A\n');
    });
    afterAll(async () => {
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('sends GETs the server understands, counts 200s as answers and other statuses as HTTP errors, on connections kept open', async () => {
      const r = await runDohLoad({ port, names, seconds: 0.5, clients: 2, outstanding: 4, rate: 300, path: '/dns-query', drainMs: 2000 });
      expect(r.sent).toBeGreaterThan(0);
      expect(seen).toHaveLength(r.sent);
      expect(seen[0]).toEqual({ path: dohQueryPaths('n0.bench.test A\n', '/dns-query')[0], accept: 'application/dns-message', authority: `127.0.0.1:${port}` });
      expect(r.completed + r.httpErrors + r.lost).toBe(r.sent);
      expect(r.httpErrors).toBe(seen.filter((s) => s.path.endsWith(dohQueryPaths('n2.bench.test A\n', '')[0]!)).length);
      expect(r.completed).toBe(r.sent - r.httpErrors);
      expect(r.connections).toBe(2);
      expect(r.p99Ms).not.toBeNull();
    });
  });
});

describe('the Unbound peer with DoT and DoH', () => {
  let dir: string;
  let config: string;
  let ports: { plain: number; dot: number; doh: number };
  let server: Started | null = null;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-encrypted-peer-'));
    const certs = makeTestCertificates(dir, 'dns.bench.test');
    ports = { plain: await freePort(), dot: await freePort(), doh: await freePort() };
    config = join(dir, 'unbound.conf');
    writeFileSync(config, unboundVariantConfig(dir, ports.plain, 3, UNBOUND_VARIANTS[0]!, null, 'u.pid', unboundEncryptedLines({ dotPort: ports.dot, dohPort: ports.doh, cert: certs.cert, key: certs.key })));
    writeFileSync(join(dir, 'names.txt'), 'n0.bench.test A\nn1.bench.test A\nn2.bench.test A\n');
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(checkconf.missing !== null)('is a config unbound-checkconf accepts, with both services on their own ports', () => {
    const text = readFileSync(config, 'utf8');
    expect(text).toContain(`interface: 127.0.0.1@${ports.dot}`);
    expect(text).toContain(`https-port: ${ports.doh}`);
    expect(text.indexOf('tls-service-key')).toBeLessThan(text.indexOf('remote-control:'));
    const check = spawnSync(checkconf.path!, [config], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toMatch(/no errors/);
  });

  it.skipIf(unbound.missing !== null || dnsperfBinary.missing !== null)('answers dnsperf -m dot and the DoH generator over connections kept open', async () => {
    server = start(unbound.path!, ['-d', '-c', config]);
    expect(await waitForDns(ports.plain, 30_000)).toBe(true);
    const names = join(dir, 'names.txt');
    const dot = await dnsperf('unbound dot', ports.dot, names, 1, [...dnsperfTransportArgs('dot', ports.dot), '-c', '2', '-q', '4', '-Q', '200'], true);
    expect(dot.completed).toBeGreaterThan(0);
    expect(dot.reconnections).toBe(0);
    expect(dot.p50Ms).not.toBeNull();
    const doh = await runDohLoad({ port: ports.doh, names, seconds: 1, clients: 2, outstanding: 4, rate: 200, path: '/dns-query', drainMs: 2000 });
    expect(doh.completed).toBeGreaterThan(0);
    expect(doh.httpErrors).toBe(0);
    expect(doh.connections).toBe(2);
  }, 60_000);
});

describe('the summary', () => {
  it('takes the median runs, the ratio of their qps, half the slower side as the latency rate, and median p50/p99', () => {
    const p = summariseProtocol('dot', 'dnsperf -m dot', [run(10_000), run(12_000), run(11_000)], [run(30_000), run(20_000), run(25_000)], [run(0, 0.2, 2), run(0, 0.3, 4), run(0, 0.1, 3)], [run(0, 0.4, 5), run(0, 0.5, 9), run(0, 0.6, 7)]);
    expect(p.unboundMedian?.qps).toBe(11_000);
    expect(p.fluxhoundMedian?.qps).toBe(25_000);
    expect(p.ratio).toBeCloseTo(25 / 11, 9);
    expect(p.latencyRate).toBe(5_500);
    expect([p.unboundP50Ms, p.unboundP99Ms, p.fluxhoundP50Ms, p.fluxhoundP99Ms]).toEqual([0.2, 3, 0.5, 7]);
    expect(summariseProtocol('doh', 'x', [], [run(1)]).ratio).toBeNull();
  });
  it('reads its options from the environment, with defaults, and builds dnsperf arguments per protocol', () => {
    expect(encryptedDnsOptionsFromEnv({})).toEqual({ seconds: 5, runs: 3, names: 10_000, clients: 4, outstanding: 100, unboundThreads: 1 });
    expect(encryptedDnsOptionsFromEnv({ FLUXHOUND_BENCH_ENCRYPTED_UNBOUND_THREADS: '2' }).unboundThreads).toBe(2);
    expect(encryptedDnsOptionsFromEnv({ FLUXHOUND_BENCH_ENCRYPTED_UNBOUND_THREADS: '8' }).unboundThreads).toBe(1);
    expect(encryptedDnsOptionsFromEnv({ FLUXHOUND_BENCH_ENCRYPTED_SECONDS: '2', FLUXHOUND_BENCH_ENCRYPTED_RUNS: 'x' })).toMatchObject({ seconds: 2, runs: 3 });
    expect(dnsperfTransportArgs('dot', 853)).toEqual(['-m', 'dot']);
    expect(dnsperfTransportArgs('doh', 8443)).toEqual(['-m', 'doh', '-O', 'doh-uri=https://127.0.0.1:8443/dns-query', '-O', 'doh-method=GET']);
  });
  it('prints both protocols, the ratios and the failures', () => {
    const dot = summariseProtocol('dot', 'dnsperf -m dot -c 4 -q 100', [run(10_000)], [run(20_000)], [run(0, 0.1, 1)], [run(0, 0.2, 2)]);
    const text = formatEncryptedDns({ startedAt: '', options: encryptedDnsOptionsFromEnv({}), loadAverage: [1, 2], unboundConfig: 'Unbound local-data', dot, doh: null, generatorCheck: { dnsperf: run(20_000), generator: run(19_000) }, failures: ['x'] });
    expect(text).toContain('DoT: fluxhound / Unbound 2.00× qps');
    expect(text).toContain('| fluxhound DoT | dnsperf -m dot -c 4 -q 100 | 20,000 |');
    expect(text).toContain('(0.95×:');
    expect(text).toContain('failure: x');
  });
});
