/**
 * Active confirmation end to end, on loopback: a real authoritative server
 * (test/support/flux-authority.ts) whose flux names rotate A records across
 * residential networks of many ASNs with TTLs of 1–2 s, `fluxhound serve
 * --confirm` forwarding to it, and one client query per name. The flux name
 * must become suspicious from that one query and then fast-flux on probe
 * evidence alone (its verdict says so); a name answering the same records
 * every time must be cleared after its probes; an allowlisted flux name must
 * never be asked again. The same scenario runs twice: fluxhound's upstream
 * is the authority itself, and then a real Unbound recursing to it through a
 * stub zone (as a Protective DNS deployment forwards to its resolver), where
 * the resolver's cache answers some probes. Bounded in time (waitFor
 * deadlines) and in count (maxProbesPerName); no timing is asserted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/corpus/address-space.js';
import { EYEBALL_ASNS } from '../../src/corpus/asns.js';
import { Prng } from '../../src/corpus/prng.js';
import type { Verdict } from '../../src/model/verdict.js';
import { unboundServerLines, unboundStubLines } from '../../bench/unbound-config.js';
import { findBinary } from '../support/binaries.js';
import { FluxAuthority } from '../support/flux-authority.js';
import { CLI, requireBuilt } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';
import { queryRcode } from '../support/dns-query.js';
import { fetchWithToken, writeTokenFile, type TestTokens } from '../support/tokens.js';

// The authority serves all of test., so every name has a registered domain of its own.
const FLUX = 'www.rotaflux.test';
const ALLOWED = 'cdn.allowflux.test';
const STEADY = 'www.steadyname.test';
const MAX_PROBES = 6;

/** Four fixed addresses in four residential ASNs: one lookup of them looks like the start of flux, and they never change. */
function steadyAddresses(): string[] {
  const space = AddressSpace.load(EYEBALL_ASNS);
  const asns = space.knownV4(EYEBALL_ASNS);
  const rng = new Prng(11);
  return [0, 1, 2, 3].map((k) => space.pickV4Text(asns[(k * 7) % asns.length]!, rng));
}

/** One A query to the forwarder, as a client asks; resolves to the rcode (0: NOERROR). */
function query(port: number, name: string): Promise<number> {
  return queryRcode(port, name, { id: 4242 });
}

/** The flag events (NDJSON on stdout) written so far: complete lines only. */
function flagEvents(stdout: string): Verdict[] {
  return stdout
    .slice(0, stdout.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.startsWith('{"domain"'))
    .map((line) => JSON.parse(line) as Verdict);
}

/** The value of one sample of the Prometheus text, or 0 when absent. */
function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const unbound = findBinary('unbound', 'unbound');

/** Unbound on `port`, recursing for test. to the authority (a stub zone), caching as it always does. */
function unboundConfig(dir: string, port: number, authorityPort: number): string {
  return [
    ...unboundServerLines(dir, port),
    '  do-ip6: no',
    '  num-threads: 1',
    '  module-config: "iterator"',
    ...unboundStubLines('test', authorityPort),
    '',
  ].join('\n');
}

type Upstream = 'the authority' | 'Unbound';
const upstreams: Upstream[] = ['the authority', 'Unbound'];

describe.each(upstreams)('fluxhound serve --confirm, upstream %s', (via) => {
  const skip = via === 'Unbound' ? unbound.missing : null;
  let dir = '';
  let resolver: Daemon | null = null;
  let upstreamPort = 0;
  const authority = new FluxAuthority({ origin: 'test', flux: [FLUX, ALLOWED], benign: { [STEADY]: steadyAddresses() }, perAnswer: 4, fluxTtl: [1, 2], benignTtl: 1 });
  let fluxhound: Daemon | null = null;
  let dnsPort = 0;
  let httpPort = 0;
  let stdout = '';
  let tokens: TestTokens;
  const metrics = async (): Promise<string> => (await fetchWithToken(`http://127.0.0.1:${httpPort}/metrics`, tokens.read)).text();

  beforeAll(async () => {
    requireBuilt();
    if (skip !== null) return;
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-serve-confirm-'));
    tokens = writeTokenFile(dir);
    await authority.start();
    upstreamPort = authority.port;
    if (via === 'Unbound') {
      upstreamPort = await freePort();
      writeFileSync(join(dir, 'unbound.conf'), unboundConfig(dir, upstreamPort, authority.port));
      resolver = startDaemon(unbound.path!, ['-d', '-c', join(dir, 'unbound.conf')]);
      await waitFor('Unbound to answer from the stub zone', async () => (await query(upstreamPort, STEADY).catch(() => -1)) === 0, 30_000, 200);
      authority.asked.clear();
    }
    dnsPort = await freePort();
    httpPort = await freePort();
    const config = [
      'policy:',
      '  allowlist: [allowflux.test]',
      'serve:',
      '  confirm:',
      '    minInterval: 0.5',
      '    maxInterval: 2',
      `    maxProbesPerName: ${MAX_PROBES}`,
      '    ratePerSecond: 50',
      '    qtypes: [A, AAAA]',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'fluxhound.yaml'), config);
    const args = [CLI, 'serve', '-c', join(dir, 'fluxhound.yaml'), '--confirm', '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${upstreamPort}`];
    args.push('--http', `127.0.0.1:${httpPort}`, '--api-tokens', tokens.file, '--no-store', '--rate-limit', '0', '--log-level', 'info');
    fluxhound = startDaemon(process.execPath, args, { cwd: dir });
    // stdout alone: the daemon's output() interleaves stderr's log lines, which may split an NDJSON line.
    fluxhound.process.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    await waitFor('fluxhound to serve /metrics', async () => (await metrics()).includes('fluxhound_confirm_probes_sent_total'), 30_000, 100);
  }, 60_000);

  afterAll(async () => {
    await fluxhound?.stop();
    await resolver?.stop();
    if (skip === null) await authority.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it.skipIf(skip !== null)('confirms the flux name on probes alone, clears the steady one, never probes the allowlisted one', async () => {
    // One client query per name: everything after it is fluxhound's own.
    for (const name of [FLUX, STEADY, ALLOWED]) expect(await query(dnsPort, name)).toBe(0);

    const confirmed = await waitFor(
      `${FLUX} confirmed fast-flux by probes`,
      () => flagEvents(stdout).find((v) => v.domain === FLUX && v.verdict === 'fast-flux'),
      30_000,
    );
    const first = flagEvents(stdout).find((v) => v.domain === FLUX)!;
    expect(first.verdict).toBe('suspicious');
    expect(first.probes).toBeUndefined();
    expect(first.features.lookups).toBe(1);
    // Every lookup after the client's was a probe.
    expect(confirmed.probes).toBe(confirmed.features.lookups - 1);
    const n = confirmed.probes!;
    expect(confirmed.reasons).toContain(`confirmed by ${n} active probe${n === 1 ? '' : 's'} (${n} of its ${confirmed.features.lookups} lookups ${n === 1 ? 'was' : 'were'} fluxhound's own)`);
    expect(confirmed.features.clients).toBe(1);

    await waitFor(`${STEADY} cleared`, async () => sample(await metrics(), 'fluxhound_confirm_names_cleared_total') >= 1, 30_000);
    const steady = flagEvents(stdout).filter((v) => v.domain === STEADY);
    expect(steady.map((v) => v.verdict)).toEqual(['suspicious']);
    // The client's query, then exactly the probes allowed, and no more (a resolver's cache answers some of them).
    if (via === 'the authority') expect(authority.asked.get(STEADY)).toBe(1 + MAX_PROBES);
    else expect(authority.asked.get(STEADY)!).toBeLessThanOrEqual(1 + MAX_PROBES);
    // The log line goes out before the count is scraped, but through another pipe: wait for it too.
    await waitFor('the cleared log line', () => fluxhound!.output().includes('confirm: cleared'), 10_000);

    const text = await metrics();
    expect(sample(text, 'fluxhound_confirm_names_confirmed_total')).toBe(1);
    expect(sample(text, 'fluxhound_confirm_names_skipped_total{reason="allowlisted"}')).toBe(1);
    expect(sample(text, 'fluxhound_confirm_probes_sent_total')).toBeGreaterThan(MAX_PROBES);
    expect(sample(text, 'fluxhound_confirm_names')).toBe(0);
    // The allowlisted flux name was suspicious (counted as skipped) and asked once, by the client.
    expect(authority.asked.get(ALLOWED)).toBe(1);
    expect(flagEvents(stdout).some((v) => v.domain === ALLOWED)).toBe(false);
    // Probing stops at confirmation: the flux name was asked at most the client's query and the cap.
    expect(authority.asked.get(FLUX)!).toBeLessThanOrEqual(1 + MAX_PROBES);
  }, 90_000);
});
