/**
 * Issue 12, defect 19: /metrics drew complaints from Prometheus's own
 * linter. The built daemon runs with the services that need no other daemon
 * (follow, store, rpz-file, ip-blocklist, http), then with every listener
 * (dns, dnstap, rpz-server, block-page); its /metrics goes through the real
 * `promtool check metrics` (Debian package prometheus), which must not
 * complain, and carries build info and the standard process metrics.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, requireBuilt, ROOT } from './support/cli.js';
import { freePort, startDaemon, waitFor } from './support/daemon.js';
import { fetchWithToken, writeTokenFile } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-promtool-'));
const tokens = writeTokenFile(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('/metrics under promtool', () => {
  it('passes `promtool check metrics` with HELP on every family, build info and process metrics', async () => {
    requireBuilt();
    const port = await freePort();
    const daemon = startDaemon(process.execPath, [
      CLI, 'serve', '--no-flags', '--log-level', 'warn',
      '--follow', join(ROOT, 'examples', 'example.dns.log'),
      '--store', join(dir, 'fluxhound.db'),
      '--rpz-file', join(dir, 'fluxhound.rpz'),
      '--ip-blocklist', join(dir, 'flux.txt'),
      '--stix', join(dir, 'findings.stix.json'),
      '--misp-feed', join(dir, 'misp-feed'),
      '--http', `127.0.0.1:${port}`, '--api-tokens', tokens.file,
    ]);
    try {
      const text = await waitFor('metrics after the example is read', async () => {
        const t = await (await fetchWithToken(`http://127.0.0.1:${port}/metrics`, tokens.read)).text();
        return /^fluxhound_flagged_domains [1-9]/m.test(t) && /^fluxhound_rpz_file_writes_total [1-9]/m.test(t) ? t : undefined;
      }, 20_000);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 });
      expect(check.error).toBeUndefined();
      // promtool prints one line per complaint and exits non-zero on any.
      expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
      expect(check.status).toBe(0);
      expect(text).toMatch(/^fluxhound_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+\.\d+\.\d+"\} 1$/m);
      expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
      expect(text).toMatch(/^process_open_fds \d+$/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
      for (const family of ['fluxhound_observations_total', 'fluxhound_follow_bytes_total', 'fluxhound_store_verdicts_written_total', 'fluxhound_ip_blocklist_addresses', 'fluxhound_stix_file_write_seconds', 'fluxhound_misp_feed_events']) {
        expect(text).toMatch(new RegExp(`^# HELP ${family} \\S`, 'm'));
      }
      const health = await fetchWithToken(`http://127.0.0.1:${port}/health`, tokens.read);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', reasons: [] });
    } finally {
      await daemon.stop();
    }
  }, 40_000);

  it('passes with every listener running: dns, dnstap, rpz-server, block-page, http, taxii (and active confirmation)', async () => {
    requireBuilt();
    const [dns, dnstap, rpz, page, http, upstream, taxii] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    // The upstream answers nothing: queries end in SERVFAIL, which fills the rcode and duration families.
    const daemon = startDaemon(process.execPath, [
      CLI, 'serve', '--no-flags', '--log-level', 'warn', '--no-store',
      '--dns', `127.0.0.1:${dns}`, '--upstream', `127.0.0.1:${upstream}`,
      '--dnstap', `tcp:127.0.0.1:${dnstap}`,
      '--rpz-server', `127.0.0.1:${rpz}`,
      '--block-page', `127.0.0.1:${page}`,
      '--http', `127.0.0.1:${http}`, '--api-tokens', tokens.file,
      '--taxii', `127.0.0.1:${taxii}`,
      '--confirm',
      '--querylog-ndjson', join(dir, 'querylog.ndjson'), '--querylog-syslog', `udp:127.0.0.1:${upstream}`,
    ]);
    try {
      await waitFor('the http listener', async () => (await fetchWithToken(`http://127.0.0.1:${http}/health`, tokens.read).catch(() => null))?.status, 20_000);
      const client = createSocket('udp4');
      // A query for a.example, type A, class IN, RD set.
      const query = Buffer.concat([Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('\x01a\x07example\x00', 'latin1'), Buffer.from([0, 1, 0, 1])]);
      client.send(query, dns, '127.0.0.1');
      await fetch(`http://127.0.0.1:${page}/`).catch(() => undefined);
      // taxii starts after http: wait for it, then one request fills its counter family.
      await waitFor('the taxii listener', async () => (await fetchWithToken(`http://127.0.0.1:${taxii}/taxii2/`, tokens.read).catch(() => null))?.status, 20_000);
      const text = await waitFor('the DNS query counted', async () => {
        const t = await (await fetchWithToken(`http://127.0.0.1:${http}/metrics`, tokens.read)).text();
        return /^fluxhound_dns_responses_total\{/m.test(t) ? t : undefined;
      }, 20_000);
      client.close();
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 });
      expect(check.error).toBeUndefined();
      expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
      expect(check.status).toBe(0);
      for (const family of ['fluxhound_dns_request_duration_seconds', 'fluxhound_dns_cache_bytes', 'fluxhound_net_refused_total', 'fluxhound_net_connections_open', 'fluxhound_dnstap_connections_total', 'fluxhound_dnstap_conflicting_responses_total', 'fluxhound_rpz_server_connections', 'fluxhound_block_page_requests_total', 'fluxhound_http_requests_total', 'fluxhound_http_auth_failures_total', 'fluxhound_taxii_requests_total', 'fluxhound_confirm_probes_sent_total', 'fluxhound_confirm_names_skipped_total', 'fluxhound_querylog_written_total', 'fluxhound_querylog_exposure_domains']) {
        expect(text, family).toMatch(new RegExp(`^# HELP ${family} \\S`, 'm'));
      }
    } finally {
      await daemon.stop();
    }
  }, 60_000);
});
