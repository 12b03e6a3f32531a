/**
 * The intel feed against its named peer (house rule: side by side, one run,
 * the ratio printed). The same generated feed as bench/intel.ts, written as
 * a Response Policy Zone (QNAME triggers for the domains, rpz-ip triggers for
 * the addresses and networks, all `CNAME .`), is loaded by Unbound
 * (`module-config: "respip iterator"`, an `rpz:` clause with the zonefile)
 * and by fluxhound. Unbound: the time from spawning it until it answers a
 * query for a listed name with the policy's NXDOMAIN (it reads the zone
 * before it serves), and its resident memory then. fluxhound: reading the
 * same file, parseRpz and buildIntelIndex (with the real public-suffix rule),
 * and the same for the plain list. The ratio is Unbound's time over
 * fluxhound's for the RPZ file: above 1, fluxhound is ready sooner.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { addressTrigger } from '../src/act/rpz/names.js';
import { isRegistrable } from '../src/detect/registered-domain.js';
import { buildIntelIndex } from '../src/intel/index.js';
import { parseList } from '../src/intel/list.js';
import { parseRpz } from '../src/intel/rpz.js';
import type { ParsedFeed } from '../src/intel/entry.js';
import { queryUdp } from '../test/support/dns-query.js';
import { freePort, start, which } from './dns-run.js';
import { feedText, listedDomain } from './intel.js';
import { unboundServerLines } from './unbound-config.js';

export interface IntelPeerOptions {
  entries: number;
  runs: number;
  /** How long Unbound may take to answer, milliseconds. */
  timeoutMs: number;
}

export interface IntelPeerRun {
  unboundReadyMs: number;
  /** CPU time Unbound used until then (user + system, /proc); null off Linux. On a shared host wall time waits for CPUs, this does not. */
  unboundCpuMs: number | null;
  fluxhoundRpzCpuMs: number;
  /** VmRSS of Unbound once it answers; null off Linux. */
  unboundRssBytes: number | null;
  fluxhoundRpzMs: number;
  fluxhoundListMs: number;
  /** Entries fluxhound indexed from the zone (the others are refused or skipped, with counts). */
  rpzAccepted: number;
}

export interface IntelPeerFigures {
  entries: number;
  rpzBytes: number;
  runs: IntelPeerRun[];
  /** Medians over the runs. */
  unboundReadyMs: number;
  unboundRssBytes: number | null;
  unboundCpuMs: number | null;
  fluxhoundRpzMs: number;
  fluxhoundRpzCpuMs: number;
  fluxhoundListMs: number;
  /** unboundReadyMs / fluxhoundRpzMs. */
  ratio: number;
  /** unboundCpuMs / fluxhoundRpzCpuMs; null without /proc. */
  cpuRatio: number | null;
  unboundVersion: string;
}

export const RPZ_ORIGIN = 'rpz.bench.test';

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): IntelPeerOptions {
  const n = (key: string, fallback: number) => {
    const v = Number(env[key] ?? fallback);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`bench: ${key} takes a positive whole number`);
    return v;
  };
  return { entries: n('FLUXHOUND_BENCH_INTEL_ENTRIES', 1_000_000), runs: n('FLUXHOUND_BENCH_INTEL_PEER_RUNS', 3), timeoutMs: 300_000 };
}

/** The plain list as an RPZ zone: each domain a QNAME trigger, each address or network an rpz-ip trigger, NXDOMAIN for all. */
export function rpzZoneText(listText: string): string {
  const out: string[] = [`$ORIGIN ${RPZ_ORIGIN}.`, '$TTL 300', '@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 300', '@ NS localhost.'];
  let start = 0;
  while (start < listText.length) {
    let end = listText.indexOf('\n', start);
    if (end === -1) end = listText.length;
    const line = listText.slice(start, end);
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const isAddress = line.includes(':') || /^[0-9.]+(\/[0-9]+)?$/.test(line);
    if (!isAddress) {
      out.push(`${line} CNAME .`);
      continue;
    }
    const slash = line.indexOf('/');
    const trigger = slash === -1 ? addressTrigger(line) : addressTrigger(line.slice(0, slash), Number(line.slice(slash + 1)));
    if (trigger === null) throw new Error(`bench: no rpz-ip trigger for ${line}`);
    out.push(`${trigger}.rpz-ip CNAME .`);
  }
  return out.join('\n') + '\n';
}

export function unboundRpzConfig(dir: string, port: number, zoneFile: string): string {
  return [
    ...unboundServerLines(dir, port),
    '  module-config: "respip iterator"',
    // Unbound answers names under test. itself (RFC 6761) unless told not to, before any policy.
    '  local-zone: "test." nodefault',
    '  do-not-query-localhost: no',
    'remote-control:',
    '  control-enable: no',
    'rpz:',
    `  name: "${RPZ_ORIGIN}."`,
    `  zonefile: "${zoneFile}"`,
    '  rpz-log: no',
    '',
  ].join('\n');
}

/** Spawns Unbound and asks for a listed name until the policy answers (NXDOMAIN); the time from spawn. */
async function unboundReady(unbound: string, dir: string, zoneFile: string, probe: string, timeoutMs: number): Promise<{ ms: number; rss: number | null; cpuMs: number | null }> {
  const port = await freePort();
  const config = join(dir, 'unbound.conf');
  writeFileSync(config, unboundRpzConfig(dir, port, zoneFile));
  const t0 = performance.now();
  const server = start(unbound, ['-d', '-c', config]);
  try {
    for (;;) {
      if (server.child.exitCode !== null) throw new Error(`unbound exited: ${server.output().slice(-300)}`);
      if (performance.now() - t0 > timeoutMs) throw new Error(`unbound did not answer within ${timeoutMs} ms: ${server.output().slice(-300)}`);
      const rcode = await queryUdp(port, probe, { timeoutMs: 50 }).then(
        (r) => (r.flags ?? 0) & 15,
        () => -1,
      );
      if (rcode === 3) return { ms: performance.now() - t0, rss: rssOf(server.child.pid), cpuMs: cpuMsOf(server.child.pid) };
      if (rcode >= 0) throw new Error(`unbound answered ${probe} with rcode ${rcode}, not the policy's NXDOMAIN`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await server.stop();
  }
}

/** utime + stime of a process (fields 14 and 15 of /proc/PID/stat, in clock ticks of 10 ms). */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

function rssOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

/** Read, parse and index one feed file as fluxhound does at start-up. */
function fluxhoundLoad(file: string, parse: (text: string) => ParsedFeed): { ms: number; cpuMs: number; accepted: number } {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const feed = parse(readFileSync(file, 'utf8'));
  const index = buildIntelIndex([{ name: 'bench', action: 'block', confidence: 80, expiresAt: Infinity, feed }], { isRegistrable, isAllowlisted: () => false });
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, accepted: index.counts[0]!.accepted };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

export async function benchIntelPeer(options: IntelPeerOptions, log: (line: string) => void): Promise<IntelPeerFigures> {
  const unbound = which('unbound');
  if (unbound === null) throw new Error('intel peer: unbound is needed (apt-get install unbound)');
  const version = /Version (\S+)/.exec(startVersion(unbound))?.[1] ?? 'unknown';
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-intel-peer-'));
  try {
    const list = feedText(options.entries).text;
    const zone = rpzZoneText(list);
    const listFile = join(dir, 'feed.txt');
    const zoneFile = join(dir, 'feed.rpz');
    writeFileSync(listFile, list);
    writeFileSync(zoneFile, zone);
    const limits = { maxEntries: options.entries * 2, maxLine: 4096, maxSkipped: 1000 };
    const probe = `${listedDomain(Math.floor(options.entries / 4))}.`;
    const runs: IntelPeerRun[] = [];
    for (let run = 0; run < options.runs; run++) {
      log(`intel peer: run ${run + 1}/${options.runs}: Unbound loads the ${options.entries.toLocaleString('en')}-entry zone`);
      const u = await unboundReady(unbound, dir, zoneFile, probe, options.timeoutMs);
      const rpz = fluxhoundLoad(zoneFile, (text) => parseRpz(text, 'feed.rpz', limits));
      const plain = fluxhoundLoad(listFile, (text) => parseList(text, 'feed.txt', limits));
      runs.push({ unboundReadyMs: u.ms, unboundCpuMs: u.cpuMs, unboundRssBytes: u.rss, fluxhoundRpzMs: rpz.ms, fluxhoundRpzCpuMs: rpz.cpuMs, fluxhoundListMs: plain.ms, rpzAccepted: rpz.accepted });
      log(`intel peer: Unbound ready in ${u.ms.toFixed(0)} ms (${u.cpuMs ?? 'n/a'} ms CPU); fluxhound RPZ ${rpz.ms.toFixed(0)} ms (${rpz.cpuMs.toFixed(0)} ms CPU), list ${plain.ms.toFixed(0)} ms`);
    }
    const rss = runs.map((r) => r.unboundRssBytes).filter((r): r is number => r !== null);
    const unboundReadyMs = median(runs.map((r) => r.unboundReadyMs));
    const fluxhoundRpzMs = median(runs.map((r) => r.fluxhoundRpzMs));
    const cpus = runs.map((r) => r.unboundCpuMs).filter((c): c is number => c !== null);
    const unboundCpuMs = cpus.length === runs.length ? median(cpus) : null;
    const fluxhoundRpzCpuMs = median(runs.map((r) => r.fluxhoundRpzCpuMs));
    return {
      entries: options.entries,
      rpzBytes: zone.length,
      runs,
      unboundReadyMs,
      unboundRssBytes: rss.length === 0 ? null : median(rss),
      unboundCpuMs,
      fluxhoundRpzMs,
      fluxhoundRpzCpuMs,
      fluxhoundListMs: median(runs.map((r) => r.fluxhoundListMs)),
      ratio: unboundReadyMs / fluxhoundRpzMs,
      cpuRatio: unboundCpuMs === null ? null : unboundCpuMs / fluxhoundRpzCpuMs,
      unboundVersion: version,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function startVersion(unbound: string): string {
  // unbound -V prints its version and exits without reading a config.
  return spawnSync(unbound, ['-V'], { encoding: 'utf8' }).stdout ?? '';
}

export function formatIntelPeer(f: IntelPeerFigures): string {
  const mb = (b: number | null) => (b === null ? 'n/a' : `${(b / 1e6).toFixed(0)} MB`);
  return [
    `intel feed vs Unbound ${f.unboundVersion} (RPZ, ${f.entries.toLocaleString('en')} triggers, ${(f.rpzBytes / 1e6).toFixed(1)} MB zone; medians of ${f.runs.length})`,
    `  Unbound: spawn to the policy's answer for a listed name ${f.unboundReadyMs.toFixed(0)} ms (${f.unboundCpuMs === null ? 'n/a' : f.unboundCpuMs.toFixed(0)} ms CPU), resident ${mb(f.unboundRssBytes)}`,
    `  fluxhound: read + parse + index the same zone ${f.fluxhoundRpzMs.toFixed(0)} ms (${f.fluxhoundRpzCpuMs.toFixed(0)} ms CPU); the plain list ${f.fluxhoundListMs.toFixed(0)} ms`,
    `  ratio (Unbound / fluxhound, RPZ): ${f.ratio.toFixed(2)} wall time, ${f.cpuRatio === null ? 'n/a' : f.cpuRatio.toFixed(2)} CPU time`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchIntelPeer(optionsFromEnv(), (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(`${formatIntelPeer(figures)}\n${JSON.stringify(figures)}\n`);
}
