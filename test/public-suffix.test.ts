/**
 * Defect 4 of issue 12: a public suffix is never flagged nor blocked. Hostile
 * input gives `org`, `co.uk`, `github.io`, the root and a bare `test` the
 * records of a real fast-flux name (its addresses from the golden output of
 * the bundled example); a registrable name with the same records is the
 * control that shows the input does flag. Runs the built CLI (npm test
 * builds first) and, for the forwarder, a real daemon on 127.0.0.1 with a
 * scripted upstream.
 */
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startDaemon, waitFor } from './support/daemon.js';
import { botAddresses as exampleBotAddresses, zeekLog } from './support/zeek-log.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-suffix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The addresses of the example's fast-flux name with the most of them: a real botnet's spread of networks. */
function botAddresses(): string[] {
  const addresses = exampleBotAddresses();
  expect(addresses.length).toBeGreaterThanOrEqual(40);
  return addresses;
}

interface Printed {
  domain: string;
  registered_domain: string;
  verdict: string;
}

describe('public suffixes (issue 12, defect 4)', () => {
  it('analyze flags none of org, co.uk, github.io and the root on hostile input; the same records under a registered domain are fast-flux', () => {
    const log = join(dir, 'hostile.dns.log');
    writeFileSync(log, zeekLog(['org', 'co.uk', 'github.io', '.', 'test', 'flux.evil-control.org'], botAddresses()));
    const r = spawnSync(process.execPath, [CLI, 'analyze', '--json', '--all', log], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, timeout: 60_000 });
    expect(r.status).toBe(0);
    const verdicts = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Printed);
    expect(verdicts.find((v) => v.domain === 'flux.evil-control.org')?.verdict).toBe('fast-flux');
    for (const suffix of ['org', 'co.uk', 'github.io', '.', '', 'test']) {
      // Not scored at all: no verdict names a suffix, as domain or as registered domain.
      expect(verdicts.filter((v) => v.domain === suffix || v.registered_domain === suffix), suffix).toEqual([]);
    }
  }, 60_000);

  it('a followed passive-DNS file with flux records for a bare `test` leaves x.test resolving; evil-lab.test is blocked', async () => {
    const bots = botAddresses();
    const t0 = Math.floor(Date.now() / 1000) - 3600;
    const tuples = (name: string) =>
      bots.map((address, i) => JSON.stringify({ count: 3, time_first: t0 + i * 30, time_last: t0 + i * 30 + 600, rrtype: 'A', rrname: `${name}.`, rdata: address }));
    const pdns = join(dir, 'followed.pdns.json');
    // The bare suffix first: were it flagged, x.test would be NXDOMAIN before the control is even read.
    writeFileSync(pdns, [...tuples('test'), ...tuples('www.evil-lab.test')].join('\n') + '\n');

    const upstream = createSocket('udp4');
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
    upstream.on('message', (raw, from) => {
      const q = packet.decode(raw);
      const question = q.questions?.[0];
      if (question === undefined) return;
      const reply = packet.encode({
        id: q.id,
        type: 'response',
        flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: question.type === 'A' ? [{ name: question.name, type: 'A', ttl: 60, data: '192.0.2.10' }] : [],
      });
      upstream.send(reply, from.port, from.address);
    });
    const port = await freePort();
    const daemon = startDaemon(process.execPath, [
      CLI, 'serve', '--dns', `127.0.0.1:${port}`, '--upstream', `127.0.0.1:${upstream.address().port}`,
      '--follow', pdns, '--follow-format', 'pdns', '--follow-interval', '100', '--no-store', '--log-level', 'warn',
    ], { cwd: dir });
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    try {
      await waitFor('the control name to be blocked', async () => (await rcodeOf(client, port, 'x.evil-lab.test')) === 'NXDOMAIN', 30_000, 200);
      for (const name of ['x.test', 'test', 'www.other.test']) expect(await rcodeOf(client, port, name), name).toBe('NOERROR');
      const events = daemon
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{"domain"'))
        .map((l) => JSON.parse(l) as Printed);
      expect(events.some((e) => e.registered_domain === 'evil-lab.test')).toBe(true);
      expect(events.filter((e) => e.domain === 'test' || e.registered_domain === 'test')).toEqual([]);
    } finally {
      client.close();
      upstream.close();
      await daemon.stop();
    }
  }, 60_000);
});

/** The rcode of one A query for name through the forwarder on 127.0.0.1:port (2 s to answer). */
async function rcodeOf(client: Socket, port: number, name: string): Promise<string> {
  const id = Math.floor(Math.random() * 65535);
  const query = packet.encode({ id, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }] });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no answer for ${name}`));
    }, 2000);
    const onMessage = (raw: Buffer): void => {
      // dns-packet's types leave rcode out.
      const answer = packet.decode(raw) as packet.DecodedPacket & { rcode?: string };
      if (answer.id !== id) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(answer.rcode ?? 'NOERROR');
    };
    client.on('message', onMessage);
    client.send(query, port, '127.0.0.1');
  });
}
