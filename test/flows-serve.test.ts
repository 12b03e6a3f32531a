/**
 * Issue 16: `fluxhound serve --flows udp:ADDR:PORT` as an operator runs it
 * (the built CLI): port 0 and the bound port read from the daemon's log, the
 * real exporters' datagrams (test/fixtures/flows) sent over UDP on
 * 127.0.0.1, the per-exporter statistics scraped from /metrics and put
 * through the real `promtool check metrics`; bad specs and a port in use
 * are one line and exit 2; a SIGHUP applies a new exporters ACL or, when it
 * is bad, none of the new config.
 */
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, fluxhound, requireBuilt, ROOT } from './support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from './support/daemon.js';
import { fetchWithToken, writeTokenFile } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-flows-'));
const tokens = writeTokenFile(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string): Buffer => readFileSync(join(ROOT, 'test', 'fixtures', 'flows', name));

/** The port the collector bound, from its 'flows: listening on udp:127.0.0.1:PORT' log line. */
async function boundPort(daemon: Daemon): Promise<number> {
  return waitFor('the collector to listen', () => {
    const match = /flows: listening on udp:127\.0\.0\.1:(\d+)/.exec(daemon.output());
    return match === null ? undefined : Number(match[1]);
  }, 20_000);
}

async function send(port: number, datagrams: Buffer[]): Promise<string> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    for (const d of datagrams) await new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    return `127.0.0.1:${socket.address().port}`;
  } finally {
    socket.close();
  }
}

async function metrics(http: number): Promise<string> {
  return (await fetchWithToken(`http://127.0.0.1:${http}/metrics`, tokens.read)).text();
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('serve --flows (built CLI)', () => {
  it('listens on the port the kernel picks, decodes real exports per exporter, and /metrics passes promtool', async () => {
    requireBuilt();
    const http = await freePort();
    const daemon = startDaemon(process.execPath, [
      CLI, 'serve', '--no-flags', '--log-level', 'info', '--no-store',
      '--flows', 'udp:127.0.0.1:0',
      '--http', `127.0.0.1:${http}`, '--api-tokens', tokens.file,
    ]);
    try {
      const port = await boundPort(daemon);
      expect(port).toBeGreaterThan(0);
      const files = ['netflow5.dat', 'netflow9_test_cisco_asa_1_data.dat', 'netflow9_test_cisco_asa_1_tpl.dat', 'netflow9_test_cisco_asa_1_data.dat', 'ipfix_test_openbsd_pflow_tpl.dat', 'ipfix_test_openbsd_pflow_data.dat', 'ipfix_test_yaf_tpl45841.dat', 'ipfix_test_yaf_data45841.dat'];
      const exporter = await send(port, [...files.map(fixture), Buffer.from('not netflow at all')]);
      const labels = `{exporter="${exporter}"}`;
      const text = await waitFor('the datagrams counted', async () => {
        const t = await metrics(http);
        return value(t, `fluxhound_flows_datagrams_total${labels}`) === files.length + 1 ? t : undefined;
      }, 10_000);
      // v5: 2; ASA: 14 once its templates came (the first data datagram had none); pflow: 26; YAF: its one flow.
      expect(value(text, `fluxhound_flows_records_total${labels}`)).toBe(2 + 14 + 26 + 1);
      expect(value(text, `fluxhound_flows_no_template_sets_total${labels}`)).toBeGreaterThanOrEqual(1);
      expect(value(text, `fluxhound_flows_no_template_records_total${labels}`)).toBe(14);
      expect(value(text, `fluxhound_flows_malformed_datagrams_total${labels}`)).toBe(1);
      expect(value(text, `fluxhound_flows_enterprise_elements_skipped_total${labels}`)).toBeGreaterThan(0);
      expect(value(text, 'fluxhound_flows_exporters')).toBe(1);
      expect(value(text, 'fluxhound_flows_kernel_drops_total')).toBe(0);
      expect(value(text, 'fluxhound_flows_receive_buffer_bytes')).toBeGreaterThan(0);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 });
      expect(check.error).toBeUndefined();
      expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
      expect(check.status).toBe(0);
    } finally {
      await daemon.stop();
    }
  }, 40_000);

  it('a SIGHUP applies a changed exporters ACL all or nothing', async () => {
    requireBuilt();
    const http = await freePort();
    const configPath = join(dir, 'flows.yaml');
    writeFileSync(configPath, 'serve:\n  flows:\n    listen: "udp:127.0.0.1:0"\n    exporters: [192.0.2.0/24]\n');
    const daemon = startDaemon(process.execPath, [CLI, 'serve', '--no-flags', '--log-level', 'info', '--no-store', '--config', configPath, '--http', `127.0.0.1:${http}`, '--api-tokens', tokens.file]);
    try {
      const port = await boundPort(daemon);
      const refusedAcl = async (): Promise<number> => value(await metrics(http), 'fluxhound_flows_refused_datagrams_total{reason="acl"}') ?? 0;
      await send(port, [fixture('netflow5.dat')]);
      await waitFor('the refusal', async () => (await refusedAcl()) === 1);
      // A bad network anywhere in the list: the whole new config is refused, the running one stays.
      writeFileSync(configPath, 'serve:\n  flows:\n    listen: "udp:127.0.0.1:0"\n    exporters: [127.0.0.0/8, "300.1.2.3/8"]\n');
      daemon.process.kill('SIGHUP');
      await waitFor('the reload refused', () => /reload refused[^\n]*300\.1\.2\.3/.test(daemon.output()));
      await send(port, [fixture('netflow5.dat')]);
      await waitFor('the second refusal', async () => (await refusedAcl()) === 2);
      writeFileSync(configPath, 'serve:\n  flows:\n    listen: "udp:127.0.0.1:0"\n    exporters: [127.0.0.0/8]\n');
      daemon.process.kill('SIGHUP');
      await waitFor('the reload', () => /config reloaded/.test(daemon.output()));
      const exporter = await send(port, [fixture('netflow5.dat')]);
      await waitFor('the flows decoded', async () => value(await metrics(http), `fluxhound_flows_records_total{exporter="${exporter}"}`) === 2);
      expect(await refusedAcl()).toBe(2);
    } finally {
      await daemon.stop();
    }
  }, 40_000);

  it.each([
    ['127.0.0.1:2055', 'expected udp:ADDRESS:PORT'],
    ['udp:flows.example:2055', "'flows.example' is not an IP address"],
    ['udp:127.0.0.1:99999', 'port 99999 out of range'],
  ])('--flows %s is one line and exit 2', async (spec, message) => {
    requireBuilt();
    const run = await fluxhound(['serve', '--no-store', '--flows', spec]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(message);
  });

  it('a bad --flows-exporter network is one line and exit 2', async () => {
    requireBuilt();
    const run = await fluxhound(['serve', '--no-store', '--flows', 'udp:127.0.0.1:0', '--flows-exporter', '10.0.0.0/33']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain("'10.0.0.0/33' is not an IPv4 or IPv6 CIDR");
  });

  it('a port in use is one line and exit 2', async () => {
    requireBuilt();
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    try {
      const port = holder.address().port;
      const run = await fluxhound(['serve', '--no-store', '--log-level', 'fatal', '--flows', `udp:127.0.0.1:${port}`]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(`flows: cannot listen on udp:127.0.0.1:${port}: address in use`);
    } finally {
      holder.close();
    }
  });
});
