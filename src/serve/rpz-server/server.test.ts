/**
 * The server on a real socket, checked by real clients: dig and kdig verify
 * our TSIG on every message of an AXFR, read IXFR differences, and get
 * refused without the key or with a wrong one. NOTIFY goes to a fake
 * secondary that checks the signature and answers.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../../../test/support/binaries.js';
import { freePort, waitFor } from '../../../test/support/daemon.js';
import { RpzServer } from './server.js';
import { fluxNames, TEST_KEY_NAME, TEST_SECRET, testKey, testZone } from './test-zone.case.js';
import { sign, verify } from './tsig.js';
import { encodeMessage, parseRequest } from './wire.js';

const run = promisify(execFile);
const dig = findBinary('dig', 'bind9-dnsutils');
const kdig = findBinary('kdig', 'knot-dnsutils');
const KEY = `hmac-sha256:${TEST_KEY_NAME}:${TEST_SECRET}`;
const WRONG = `hmac-sha256:${TEST_KEY_NAME}:${Buffer.alloc(32, 9).toString('base64')}`;

async function tool(path: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(path, args, { timeout: 20_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return (e.stdout ?? '') + (e.stderr ?? '');
  }
}

/** The zone records dig/kdig printed (no comments, blank lines or TSIG records). */
function records(output: string): string[][] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith(';'))
    .map((l) => l.split(/\s+/))
    .filter((r) => r[3] !== 'TSIG');
}

/** TSIG records printed: proof the answer was signed (dig and kdig check each one and say so when one fails). */
function tsigRecords(output: string): number {
  return output.split('\n').filter((l) => /\sANY\s+TSIG\s/.test(l)).length;
}

describe('rpz-server with dig and kdig', () => {
  let server: RpzServer;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    server = new RpzServer({
      listen: { host: '127.0.0.1', port },
      allow: (a) => a === '127.0.0.1',
      key: testKey,
      notify: [],
      log: pino({ level: 'silent' }),
      zone: testZone(100, fluxNames(0, 2000)),
    });
    await server.start();
    server.setZone(testZone(101, fluxNames(0, 2005)));
    server.setZone(testZone(102, fluxNames(3, 2005)));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it.skipIf(dig.path === null)('dig verifies a signed AXFR of many messages', { timeout: 30_000 }, async () => {
    const out = await tool(dig.path!, ['@127.0.0.1', '-p', String(port), '-y', KEY, 'AXFR', 'rpz.fluxhound.']);
    expect(out).not.toMatch(/Couldn't verify|tsig verify failure|failed/i);
    const rrs = records(out);
    const owners = rrs.filter((r) => r[3] === 'CNAME').map((r) => r[0]);
    expect(owners).toHaveLength(2 * 2002);
    expect(owners).toContain('flux-2004.example.rpz.fluxhound.');
    expect(owners).toContain('*.flux-3.example.rpz.fluxhound.');
    expect(owners).not.toContain('flux-0.example.rpz.fluxhound.');
    expect(rrs[0]![3]).toBe('SOA');
    expect(rrs.at(-1)![3]).toBe('SOA');
    const xfr = /XFR size: (\d+) records \(messages (\d+)/.exec(out);
    expect(Number(xfr?.[2])).toBeGreaterThan(5);
    expect(tsigRecords(out)).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(kdig.path === null)('kdig verifies a signed AXFR', { timeout: 30_000 }, async () => {
    const out = await tool(kdig.path!, ['@127.0.0.1', '-p', String(port), '-y', KEY, 'AXFR', 'rpz.fluxhound.']);
    expect(out).not.toMatch(/WARNING|failed|BADSIG|BADKEY|BADTIME/i);
    expect(records(out).filter((r) => r[3] === 'CNAME')).toHaveLength(2 * 2002);
    // kdig prints the TSIG record of every message, each one verified.
    expect(tsigRecords(out)).toBeGreaterThan(5);
  });

  it.skipIf(dig.path === null)('dig without the key, or with a wrong one, gets no zone', { timeout: 30_000 }, async () => {
    const unsigned = await tool(dig.path!, ['@127.0.0.1', '-p', String(port), 'AXFR', 'rpz.fluxhound.']);
    expect(unsigned).toMatch(/Transfer failed/);
    expect(records(unsigned).filter((r) => r[3] === 'CNAME')).toHaveLength(0);
    const wrong = await tool(dig.path!, ['@127.0.0.1', '-p', String(port), '-y', WRONG, 'AXFR', 'rpz.fluxhound.']);
    expect(records(wrong).filter((r) => r[3] === 'CNAME')).toHaveLength(0);
    expect(server.counters.tsigErrors.get('badsig')).toBeGreaterThanOrEqual(1);
    expect(server.counters.get('refused')).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(kdig.path === null)('kdig with a wrong key sees BADSIG', { timeout: 30_000 }, async () => {
    const out = await tool(kdig.path!, ['@127.0.0.1', '-p', String(port), '-y', WRONG, 'AXFR', 'rpz.fluxhound.']);
    expect(out).toMatch(/NOTAUTH|BADSIG/);
    expect(records(out).filter((r) => r[3] === 'CNAME')).toHaveLength(0);
  });

  it.skipIf(dig.path === null)('dig IXFR=serial reads the differences; an unknown serial gets the whole zone', { timeout: 30_000 }, async () => {
    const out = await tool(dig.path!, ['@127.0.0.1', '-p', String(port), '-y', KEY, 'IXFR=100', 'rpz.fluxhound.']);
    expect(out).not.toMatch(/Couldn't verify|failed/i);
    const rrs = records(out);
    const summary = rrs.map((r) => (r[3] === 'SOA' ? `SOA ${r[6]}` : r[0]!.replace('.rpz.fluxhound.', '')));
    expect(summary).toEqual([
      'SOA 102',
      'SOA 100',
      'SOA 101',
      ...fluxNames(2000, 2005).flatMap((n) => [n, `*.${n}`]),
      'SOA 101',
      ...fluxNames(0, 3).flatMap((n) => [n, `*.${n}`]),
      'SOA 102',
      'SOA 102',
    ]);
    const full = records(await tool(dig.path!, ['@127.0.0.1', '-p', String(port), '-y', KEY, 'IXFR=7', 'rpz.fluxhound.']));
    expect(full.filter((r) => r[3] === 'CNAME')).toHaveLength(2 * 2002);
    const udp = records(await tool(dig.path!, ['@127.0.0.1', '-p', String(port), '+notcp', 'IXFR=100', 'rpz.fluxhound.']));
    expect(udp.map((r) => r[3])).toEqual(['SOA']);
  });

  it.skipIf(dig.path === null)('answers SOA over UDP and TCP, and REFUSED for other names', { timeout: 30_000 }, async () => {
    const soa = await tool(dig.path!, ['@127.0.0.1', '-p', String(port), '+short', 'SOA', 'rpz.fluxhound.']);
    expect(soa.trim()).toBe('localhost. hostmaster.localhost. 102 300 60 604800 60');
    const tcp = await tool(dig.path!, ['@127.0.0.1', '-p', String(port), '+tcp', '-y', KEY, 'SOA', 'rpz.fluxhound.']);
    expect(tcp).toMatch(/status: NOERROR/);
    expect(tcp).not.toMatch(/Couldn't verify/);
    const other = await tool(dig.path!, ['@127.0.0.1', '-p', String(port), 'A', 'example.com.']);
    expect(other).toMatch(/status: REFUSED/);
  });

  it('sends a signed NOTIFY on change, retries until answered, and counts the ack', { timeout: 30_000 }, async () => {
    const secondary = createSocket('udp4');
    await new Promise<void>((resolve) => secondary.bind(0, '127.0.0.1', () => resolve()));
    const secondaryPort = (secondary.address() as { port: number }).port;
    const primaryPort = await freePort();
    const primary = new RpzServer({
      listen: { host: '127.0.0.1', port: primaryPort },
      allow: () => true,
      key: testKey,
      notify: [{ host: '127.0.0.1', port: secondaryPort }],
      log: pino({ level: 'silent' }),
      zone: testZone(5, fluxNames(0, 2)),
      notifyDebounceMs: 10,
      notifyRetryMs: 100,
    });
    const seen: { serial: number; verified: boolean }[] = [];
    let answered = 0;
    secondary.on('message', (msg, rinfo) => {
      const req = parseRequest(msg);
      const serial = new DataView(msg.buffer, msg.byteOffset).getUint32(msg.length - (req.tsig === null ? 0 : msg.length - req.tsig.start) - 20);
      const check = req.tsig === null ? null : verify(msg, req.tsig, testKey, Math.floor(Date.now() / 1000));
      seen.push({ serial, verified: check?.ok === true });
      // Ignore the first try to exercise the retry; answer the later ones, signed as BIND does.
      if (seen.length === 1 || check?.ok !== true) return;
      answered++;
      const reply = encodeMessage({ id: req.id, flags: 0x8000 | (4 << 11) | 0x0400 }, req.question, []);
      const signed = sign(reply, testKey, { prior: check.mac, timeSigned: Math.floor(Date.now() / 1000) });
      secondary.send(signed.message, rinfo.port, rinfo.address);
    });
    try {
      await primary.start();
      primary.setZone(testZone(6, fluxNames(0, 3)));
      await waitFor('a NOTIFY ack', () => primary.counters.notifiesAcked >= 1, 10_000, 20);
      expect(seen.every((s) => s.verified)).toBe(true);
      expect(seen.at(-1)!.serial).toBe(6);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(answered).toBe(1);
      expect(await primary.registry.getSingleMetricAsString('fluxhound_rpz_server_notifies_acked_total')).toContain('fluxhound_rpz_server_notifies_acked_total 1');
    } finally {
      await primary.stop();
      secondary.close();
    }
  });
});
