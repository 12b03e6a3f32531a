import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { sourceFormats } from '../sources/registry.js';
import { verdictFixture } from '../store/store.case.js';
import { followService } from './follow/index.js';
import { HttpService } from './http/index.js';
import { quietDaemon } from '../../test/support/quiet-daemon.js';
import { fetchWithToken, writeTokenFile } from '../../test/support/tokens.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SIGHUP config reload', () => {
  it('applies a changed config file to the running daemon in place, and keeps the running config when the file is bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-reload-'));
    dirs.push(dir);
    const file = join(dir, 'fluxhound.yaml');
    writeFileSync(file, 'verdict:\n  fastFlux: 60\npolicy:\n  fastFlux: nxdomain\n');
    const config = defaultConfig();
    const policy = config.policy;
    const daemon = quietDaemon(config, {
      factories: [followService(() => sourceFormats)],
      flags: { follow: [join(dir, 'dns.log')], followInterval: '20' },
      configPath: file,
    });
    await daemon.start();
    try {
      writeFileSync(file, 'verdict:\n  fastFlux: 75\npolicy:\n  fastFlux: sinkhole\n  allowlist: [example.org]\n');
      await daemon.reload();
      expect(config.verdict.fastFlux).toBe(75);
      expect(config.policy.fastFlux).toBe('sinkhole');
      expect(config.policy.allowlist).toEqual(['example.org']);
      // The same section objects: whatever holds `policy` sees the change.
      expect(config.policy).toBe(policy);
      writeFileSync(file, 'verdict:\n  fastFlux: lots\n');
      await daemon.reload();
      expect(config.verdict.fastFlux).toBe(75);
    } finally {
      await daemon.stop();
    }
  });
});

describe('flagged-set refresh', () => {
  it('re-scores flagged domains in slices, like refreshFlagged, without bringing back a domain dropped meanwhile', async () => {
    const daemon = quietDaemon(defaultConfig());
    await daemon.start();
    try {
      const { flagged, detector } = daemon.context;
      const domains = Array.from({ length: 300 }, (_, i) => `n${i}.flux.test`);
      for (const d of domains) flagged.upsert(verdictFixture(d));
      const rescored: string[] = [];
      const address = { address: '192.0.2.7', last_seen: '2026-11-26T10:06:00.000Z', asn: 64500, known: false };
      // Each re-score takes 0.1 ms, so 300 of them need several slices; the first drops n299.
      detector.current = (domain) => {
        if (rescored.length === 0) flagged.remove('n299.flux.test');
        rescored.push(domain);
        const until = performance.now() + 0.1;
        while (performance.now() < until);
        return { ...verdictFixture(domain), evidence: { addresses: [address], name_servers: [], ns_addresses: [] } };
      };
      let immediates = 0;
      const counter = setInterval(() => immediates++, 0);
      const changed = await new Promise<number>((resolve) => daemon.refreshInSlices(resolve));
      clearInterval(counter);
      expect(changed).toBe(299);
      expect(rescored).toHaveLength(299);
      expect(flagged.lastActive('n299.flux.test')).toBeNull();
      expect(flagged.size).toBe(299);
      for (const v of flagged.entries()) expect(v.evidence.addresses).toEqual([address]);
      // The loop ran between slices.
      expect(immediates).toBeGreaterThan(0);
    } finally {
      await daemon.stop();
    }
  });
});

describe('GET /health', () => {
  it('answers 503 with every reason: a detector backlog past serve.http.maxDetectorLag, a full queue, a service that cannot work; 200 once they clear', async () => {
    const config = defaultConfig();
    expect(config.serve.http.maxDetectorLag).toBe(10);
    const daemon = quietDaemon(config);
    const tokens = writeTokenFile();
    const http = new HttpService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file });
    let storeReason: string | null = 'cannot write: database or disk is full';
    daemon.services.push(http, { name: 'store', start: async () => undefined, stop: async () => undefined, health: () => storeReason });
    const backlog = { wait: 30, full: true, oldestWaitSeconds() { return this.wait; } };
    daemon.context.detectorBacklogs?.add(backlog);
    await daemon.start();
    try {
      const ask = async () => {
        const res = await fetchWithToken(`http://127.0.0.1:${http.port}/health`, tokens.read);
        return { status: res.status, body: (await res.json()) as { status: string; reasons: string[] } };
      };
      expect(await ask()).toEqual({
        status: 503,
        body: expect.objectContaining({
          status: 'unhealthy',
          reasons: [
            'detector: the oldest observation has waited 30.0 s (bound serve.http.maxDetectorLag 10 s)',
            'detector: its queue is full; answers pass unexamined (fail-open)',
            'store: cannot write: database or disk is full',
          ],
        }),
      });
      backlog.wait = 2;
      backlog.full = false;
      storeReason = null;
      expect(await ask()).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok', reasons: [] }) });
    } finally {
      await daemon.stop();
    }
  });
});
