/**
 * Flows in `fluxhound serve`, end to end with the built CLI as real
 * processes: the daemon follows a Zeek dns.log (a fast-flux name looked up
 * by one device) and a Zeek conn.log beside it (that device and another
 * that never looked the name up connect to the flux hosts); the exposures
 * come out as NDJSON lines, GET /api/v1/exposures shows both clients (one
 * a DNS bypass), and `fluxhound report` on the same store lists them under
 * "Hosts that connected to flux". Times are recent data times, so the
 * store's retention keeps them.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Exposure } from '../src/model/flow.js';
import type { TransparencyReport } from '../src/serve/reports/index.js';
import { bot } from './helpers/observations.js';
import { CLI, requireBuilt, spawnFluxhound } from './support/cli.js';
import { waitFor } from './support/daemon.js';
import { writeTokenFile } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-flows-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FLUX = 'login.evil-bank.com';
/** Data time of the first lookup: two hours ago, on a whole second. */
const T = Math.floor(Date.now() / 1000) - 7200;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const ZEEK_HEAD = ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-'];

/** Twelve lookups of FLUX by 192.0.2.7 over an hour, five rotating addresses each (ASNs and countries vary with the first octet). */
function dnsLog(): { text: string; addresses: string[] } {
  const lines = [
    ...ZEEK_HEAD,
    '#path\tdns',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\tauth\taddl',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\tset[string]\tset[string]',
  ];
  const addresses: string[] = [];
  for (let lookup = 0; lookup < 12; lookup++) {
    const answers = [0, 1, 2, 3, 4].map((k) => bot(lookup * 5 + k));
    addresses.push(...answers);
    lines.push(
      [T + lookup * 300, `Cdns${lookup}`, '192.0.2.7', 40000 + lookup, '10.0.0.53', 53, 'udp', 1000 + lookup, '0.001', FLUX, 1, 'C_INTERNET', 1, 'A', 0, 'NOERROR', 'F', 'F', 'T', 'T', 0, answers.join(','), answers.map(() => '120.000000').join(','), 'F', '-', '-'].join('\t'),
    );
  }
  return { text: lines.join('\n') + '\n', addresses };
}

/** 192.0.2.7 connects right after its last lookup; 192.0.2.8 (no lookup: DNS bypass) a minute later; 192.0.2.9 only to a host no flux name answered with. */
function connLog(addresses: string[]): string {
  const at = T + 11 * 300 + 5;
  const conn = (ts: number, uid: string, client: string, server: string): string =>
    [ts, uid, client, 51000, server, 443, 'tcp', 'ssl', '2.500000', 517, 4012, 'SF', 'T', 'F', 0, 'ShADadFf', 10, 1049, 9, 4480, '(empty)'].join('\t');
  return (
    [
      ...ZEEK_HEAD,
      '#path\tconn',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
      '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
      conn(at, 'Cc1', '192.0.2.7', addresses[55]!),
      conn(at + 1, 'Cc2', '192.0.2.7', addresses[56]!),
      conn(at + 60, 'Cc3', '192.0.2.8', addresses[57]!),
      conn(at + 61, 'Cc4', '192.0.2.9', '93.184.216.34'),
    ].join('\n') + '\n'
  );
}

describe('fluxhound serve: flows beside DNS', () => {
  it('follows a conn.log beside a dns.log: exposures on stdout, in GET /api/v1/exposures and in the customer report', async () => {
    requireBuilt();
    const { text, addresses } = dnsLog();
    const dns = join(dir, 'dns.log');
    const conn = join(dir, 'conn.log');
    writeFileSync(dns, text);
    writeFileSync(conn, connLog(addresses));
    const store = join(dir, 'state.db');
    const config = join(dir, 'fluxhound.yaml');
    writeFileSync(config, ['customers:', '  - id: acme', '    name: ACME Ltd', '    networks: [192.0.2.0/24]', ''].join('\n'));
    const tokens = writeTokenFile(dir);
    const port = await freePort();
    const daemon = spawnFluxhound(['serve', '-c', config, '--follow', dns, conn, '--store', store, '--http', `127.0.0.1:${port}`, '--api-tokens', tokens.file, '--log-level', 'warn']);
    const headers = { authorization: `Bearer ${tokens.read}` };
    let page: { items: Exposure[]; next: string | null } = { items: [], next: null };
    try {
      await waitFor('a fast-flux flag event on stdout', () => daemon.events<{ domain?: string; verdict?: string }>().some((e) => e.domain === FLUX && e.verdict === 'fast-flux'), 30_000);
      await waitFor('two exposure lines on stdout', () => daemon.events<{ record?: string }>().filter((e) => e.record === 'exposure').length >= 2, 30_000);
      page = await waitFor('two exposures from the API', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/exposures?customer=acme&domain=evil-bank.com`, { headers }).catch(() => null);
        const body = res?.status === 200 ? ((await res.json()) as typeof page) : null;
        return body !== null && body.items.length === 2 ? body : undefined;
      }, 30_000);
      const bypass = (await (await fetch(`http://127.0.0.1:${port}/api/v1/exposures?bypass=true`, { headers })).json()) as typeof page;
      expect(bypass.items.map((e) => e.client)).toEqual(['192.0.2.8']);
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/exposures`)).status).toBe(401);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
    expect(page.items.map((e) => [e.client, e.customer, e.domain, e.direction, e.bypass])).toEqual([
      ['192.0.2.8', 'acme', FLUX, 'outbound', true],
      ['192.0.2.7', 'acme', FLUX, 'outbound', false],
    ]);
    expect(addresses).toContain(page.items[1]!.address);
    // The unrelated connection is no exposure.
    expect(daemon.events<{ record?: string; client?: string }>().filter((e) => e.record === 'exposure' && e.client === '192.0.2.9')).toEqual([]);

    const day = ['--since', new Date((T - 3600) * 1000).toISOString(), '--until', new Date((T + 7200) * 1000).toISOString()];
    const report = spawnSync(process.execPath, [CLI, 'report', '--customer', 'acme', ...day, '--format', 'json', '--store', store, '-c', config], { encoding: 'utf8', timeout: 60_000 });
    expect(report.stderr).toBe('');
    const json = JSON.parse(report.stdout) as TransparencyReport;
    expect(json.connections).toMatchObject({ hosts: 2, bypass: 1, inbound: 0, complete: true });
    // At stop the analysis reported its totals: 192.0.2.7's two flows and 192.0.2.8's one, IP bytes of both directions.
    expect(json.connections.domains).toEqual([expect.objectContaining({ domain: FLUX, hosts: 2, bypass: 1, flows: 3, bytes: 3 * (1049 + 4480), device_list: ['192.0.2.7', '192.0.2.8'] })]);
    const html = spawnSync(process.execPath, [CLI, 'report', '--customer', 'acme', ...day, '--format', 'html', '--store', store, '-c', config], { encoding: 'utf8', timeout: 60_000 });
    expect(html.stdout).toContain('<h2>Hosts that connected to flux</h2>');
  }, 120_000);
});
