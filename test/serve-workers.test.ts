/**
 * `fluxhound serve --workers 2`, end to end with the built CLI: the DNS
 * forwarder in front of a flux authority on 127.0.0.1, the detector on two
 * worker threads. Asking for a fast-flux name until it is blocked proves the
 * whole path: the forwarder's observations reach the workers without the
 * event loop waiting on them, a worker's flag reaches the flagged set (the
 * NDJSON flag event, the NXDOMAIN), and the API's domain view shows it
 * (blocked, with the workers' verdict; a name never flagged with its
 * worker's live verdict), the network view its members, /metrics the domains
 * the workers hold; a SIGHUP that changes the verdict section reaches every
 * worker. SIGTERM drains and exits 0. Active confirmation (--confirm) probes
 * a suspicious name through the workers until it is fast-flux. A followed
 * log that may hold flows runs on workers too.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FluxAuthority } from './support/flux-authority.js';
import { ROOT, fluxhound, requireBuilt, spawnFluxhound } from './support/cli.js';
import { freePort, waitFor } from './support/daemon.js';
import { queryRcode } from './support/dns-query.js';
import { writeTokenFile } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-serve-workers-'));
const FLUX = 'cdn.flux-workers.test';
const PLAIN = 'www.plain-workers.test';
const CONFIRMED = 'cdn.confirm-workers.test';
const authority = new FluxAuthority({ origin: 'test', flux: [FLUX, CONFIRMED], benign: { [PLAIN]: ['192.0.2.10'] }, perAnswer: 8 });

beforeAll(async () => {
  requireBuilt();
  await authority.start();
});
afterAll(async () => {
  await authority.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('fluxhound serve --workers 2', () => {
  it('flags and blocks a fast-flux name from worker threads; the API shows it; SIGTERM drains', async () => {
    const dnsPort = await freePort();
    const httpPort = await freePort();
    const tokens = writeTokenFile(dir);
    const config = join(dir, 'reload.yaml');
    writeFileSync(config, 'verdict:\n  fastFlux: 60\n');
    const daemon = spawnFluxhound(['serve', '-c', config, '--workers', '2', '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${authority.port}`, '--no-store', '--rate-limit', '0', '--http', `127.0.0.1:${httpPort}`, '--api-tokens', tokens.file]);
    const api = (path: string): Promise<Response | null> => fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: { authorization: `Bearer ${tokens.read}` } }).catch(() => null);
    let view: { blocked?: boolean; verdict?: { verdict: string; domain: string; network: string | null } | null } = {};
    let members: { id?: string; domains?: string[]; addresses?: unknown[]; edges?: Array<{ domain: string; address: string }> } = {};
    try {
      await waitFor('the forwarder to answer', async () => (await queryRcode(dnsPort, PLAIN).catch(() => -1)) === 0, 30_000, 200);
      // Ask until a worker has flagged the name and the forwarder blocks it.
      await waitFor('the flux name blocked', async () => (await queryRcode(dnsPort, FLUX).catch(() => -1)) === 3, 30_000, 50);
      view = await waitFor('the domain view', async () => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/domains/${FLUX}`, { headers: { authorization: `Bearer ${tokens.read}` } }).catch(() => null);
        return res?.status === 200 ? ((await res.json()) as typeof view) : undefined;
      }, 10_000);
      // A name never flagged: its live verdict comes from its worker.
      const plain = await fetch(`http://127.0.0.1:${httpPort}/api/v1/domains/${PLAIN}`, { headers: { authorization: `Bearer ${tokens.read}` } });
      expect(plain.status).toBe(200);
      expect(await plain.json()).toMatchObject({ name: PLAIN, blocked: false, verdict: { domain: PLAIN, verdict: 'benign' } });
      // The flux name's network, from its worker: its domains, addresses and which domain resolved to which.
      const network = view.verdict?.network ?? null;
      expect(network).toMatch(/^fn-\d+$/);
      members = await waitFor('the network view', async () => {
        const res = await api(`/api/v1/networks/${network}`);
        return res?.status === 200 ? ((await res.json()) as typeof members) : undefined;
      }, 10_000);
      expect((await api('/api/v1/networks/fn-999'))?.status).toBe(404);
      // The domains the workers hold (asked of them every second).
      await waitFor('the tracked-domains gauge', async () => {
        const text = await (await api('/metrics'))?.text();
        const m = /^fluxhound_tracked_domains (\d+)$/m.exec(text ?? '');
        return m !== null && Number(m[1]) >= 2 ? true : undefined;
      }, 10_000);
      // SIGHUP with a new verdict section: every worker takes it.
      writeFileSync(config, 'verdict:\n  fastFlux: 70\n');
      daemon.child.kill('SIGHUP');
      await waitFor('the reload', () => (daemon.stderr().includes('config reloaded') ? true : undefined), 10_000);
      const metrics = (await (await api('/metrics'))?.text()) ?? '';
      expect(metrics).toMatch(/^fluxhound_detector_worker_changes_total\{change="config",result="applied"\} 1$/m);
      expect(metrics).toMatch(/^fluxhound_config_reloads_total\{result="applied"\} 1$/m);
      expect(daemon.child.exitCode).toBeNull();
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
    expect(daemon.stderr()).toContain('detector: 2 worker threads');
    expect(daemon.stderr()).not.toMatch(/"level":(50|60)/);
    expect(daemon.events().filter((e) => e.domain === FLUX).map((e) => e.verdict)).toContain('fast-flux');
    expect(daemon.events().some((e) => e.domain === PLAIN)).toBe(false);
    expect(view.blocked).toBe(true);
    expect(view.verdict).toMatchObject({ domain: FLUX, verdict: 'fast-flux' });
    expect(members.id).toBe(view.verdict?.network);
    expect(members.domains).toContain(FLUX);
    expect(members.addresses!.length).toBeGreaterThan(0);
    expect(members.edges!.filter((e) => e.domain === FLUX).length).toBeGreaterThan(0);
    expect(daemon.stderr()).not.toContain('reload refused');
  }, 90_000);

  it('--confirm: probes a suspicious name through the workers until it is fast-flux', async () => {
    const dnsPort = await freePort();
    const config = join(dir, 'confirm.yaml');
    writeFileSync(config, 'serve:\n  confirm:\n    minInterval: 0.2\n    maxInterval: 1\n');
    const daemon = spawnFluxhound(['serve', '-c', config, '--workers', '2', '--confirm', '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${authority.port}`, '--no-store', '--rate-limit', '0']);
    try {
      await waitFor('the forwarder to answer', async () => (await queryRcode(dnsPort, PLAIN).catch(() => -1)) === 0, 30_000, 200);
      // One client lookup; the probes bring the rest of the evidence.
      expect(await queryRcode(dnsPort, CONFIRMED)).toBe(0);
      await waitFor('fast-flux with probe evidence', () => (daemon.events<{ domain: string; verdict: string; probes?: number }>().some((e) => e.domain === CONFIRMED && e.verdict === 'fast-flux' && (e.probes ?? 0) > 0) ? true : undefined), 30_000);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
    expect(daemon.stderr()).toContain('detector: 2 worker threads');
    expect(daemon.stderr()).toContain('confirm: confirmed fast-flux by active probes');
  }, 60_000);

  it('--intel: every worker matches the feed; a listed name of each partition gets its listing verdict', async () => {
    const log = join(dir, 'intel-dns.log');
    copyFileSync(join(ROOT, 'examples', 'example.dns.log'), log);
    const feed = join(dir, 'feed.txt');
    // Two names of the example, in both partitions of two (partitionOf: insightpoint36.com 1, pixeltable.net 0).
    writeFileSync(feed, 'insightpoint36.com\npixeltable.net\n');
    const daemon = spawnFluxhound(['serve', '--workers', '2', '--intel', `${feed},name=partner`, '--follow', log, '--follow-format', 'zeek']);
    try {
      await waitFor('both listing verdicts', () => {
        const listed = daemon.events<{ domain: string; intel?: Array<{ feed: string }> }>().filter((e) => e.intel?.some((i) => i.feed === 'partner'));
        return ['insightpoint36.com', 'pixeltable.net'].every((d) => listed.some((e) => e.domain === d)) ? true : undefined;
      }, 30_000);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
    expect(daemon.stderr()).toContain('detector: 2 worker threads');
    expect(daemon.stderr()).not.toContain('reload refused');
    expect(daemon.stderr()).not.toContain('detector workers keep');
  }, 60_000);

  it('refuses a bad --workers in one line, exit 2', async () => {
    const r = await fluxhound(['serve', '--workers', '0', '--follow', join(dir, 'none.log')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("fluxhound: serve: --workers: expected 'auto' or a whole number 1..64, got '0'");
  });

  it('runs on workers when a followed log may hold flows (every worker gets the flows)', async () => {
    const log = join(dir, 'dns.log');
    copyFileSync(join(ROOT, 'examples', 'example.dns.log'), log);
    const daemon = spawnFluxhound(['serve', '--workers', '2', '--follow', log]);
    try {
      await waitFor('a fast-flux event on stdout', () => daemon.stdout().includes('"verdict":"fast-flux"'), 30_000);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
    expect(daemon.stderr()).toContain('detector: 2 worker threads, one partition of the registered domains each; flows reach every worker');
  }, 60_000);
});
