/**
 * Memory per tracked host in the flow analysis (issue 16): N hosts (1M by
 * default) each look up a name (a DNS observation naming the client) and
 * open a flow to one of 50,000 remote addresses, through createFlowAnalysis
 * as `analyze` and `serve` run it. Measured after gc: the heap (plus array
 * buffers) the analysis holds, over the hosts it holds. Twice: with room for
 * every host (flows.limits.maxHosts above N: the cost of one host), and with
 * the default limits (the bound: memory stops at maxHosts whatever N is).
 * Needs --expose-gc (npm run bench gives it). `node --expose-gc
 * dist/bench/flow-memory.js` runs it alone; FLUXHOUND_BENCH_FLOW_HOSTS
 * changes N.
 */
import { pathToFileURL } from 'node:url';
import { defaultConfig } from '../src/config/schema.js';
import { createFlowAnalysis } from '../src/detect/flows/index.js';
import type { FlowRecord } from '../src/model/flow.js';
import type { DnsObservation } from '../src/model/observation.js';

export interface FlowMemoryCase {
  label: string;
  hosts: number;
  maxHosts: number;
  tracked: number;
  heapBytes: number;
  bytesPerHost: number;
  rssBytes: number;
  seconds: number;
}

export interface FlowMemoryFigures {
  cases: FlowMemoryCase[];
}

const REMOTES = 50_000;
const T0 = 1_795_946_400;

function heapNow(): number {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function runCase(label: string, hosts: number, maxHosts: number | null): FlowMemoryCase {
  const config = defaultConfig();
  if (maxHosts !== null) {
    config.flows.limits.maxHosts = maxHosts;
    // Room for every host's lookup, receipt and tally too (limits.maxClientEntries would otherwise evict hosts).
    config.flows.limits.maxClientEntries = Math.max(config.flows.limits.maxClientEntries, maxHosts);
  }
  let exposures = 0;
  const before = heapNow();
  const started = process.hrtime.bigint();
  const analysis = createFlowAnalysis({ config, findings: { exposure: () => exposures++, fanOut: () => undefined } });
  const flow: FlowRecord = { start: 0, end: 0, src: '', srcPort: 50_000, dst: '', dstPort: 443, proto: 6, bytes: 1200, packets: 10, samplingRate: 1, exporter: 'bench', position: '' };
  for (let i = 0; i < hosts; i++) {
    const client = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    const remote = `45.${(i % REMOTES) >>> 8}.${i % REMOTES & 255}.9`;
    // 3,000 hosts a second of data time: a million hosts span ~5.5 minutes, inside the default window.
    const ts = T0 + i / 3000;
    const lookup: DnsObservation = {
      ts, qname: `www.site${i % REMOTES}.example`, qtype: 'A', rcode: 'NOERROR', client,
      answers: [{ name: `www.site${i % REMOTES}.example`, type: 'A', data: remote, ttl: 300 }], authority: [], additional: [], count: 1, firstSeen: ts,
    };
    analysis.observe(lookup);
    flow.start = ts + 0.01;
    flow.end = ts + 1;
    flow.src = client;
    flow.dst = remote;
    flow.position = `bench flow ${i + 1}`;
    analysis.flow(flow);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const heapBytes = heapNow() - before;
  const tracked = analysis.stats.hosts;
  // Keep the analysis alive through the measurement.
  if (analysis.stats.flows !== hosts) throw new Error(`bench: flow memory: ${analysis.stats.flows} of ${hosts} flows counted`);
  return { label, hosts, maxHosts: config.flows.limits.maxHosts, tracked, heapBytes, bytesPerHost: heapBytes / Math.max(1, tracked), rssBytes: process.memoryUsage().rss, seconds };
}

export function benchFlowMemory(hosts: number, log: (line: string) => void): FlowMemoryFigures {
  if (globalThis.gc === undefined) throw new Error('bench: flow memory needs node --expose-gc');
  const cases = [
    runCase('room for every host', hosts, hosts + 16),
    runCase('default flows.limits', hosts, null),
  ];
  for (const c of cases) log(`flow memory, ${c.label}: ${c.hosts.toLocaleString('en-US')} hosts, ${c.tracked.toLocaleString('en-US')} tracked, ${(c.heapBytes / 1e6).toFixed(0)} MB, ${Math.round(c.bytesPerHost)} B a host, ${c.seconds.toFixed(1)} s`);
  return { cases };
}

export function formatFlowMemory(f: FlowMemoryFigures): string {
  return [
    'Flow analysis memory per tracked host (a lookup and a flow per host, 50,000 remote addresses; heap + array buffers after gc)',
    ...f.cases.map((c) => `  ${c.label.padEnd(22)} maxHosts ${c.maxHosts.toLocaleString('en-US').padStart(10)}: ${c.hosts.toLocaleString('en-US')} hosts → ${c.tracked.toLocaleString('en-US').padStart(9)} tracked, ${(c.heapBytes / 1e6).toFixed(0).padStart(5)} MB, ${Math.round(c.bytesPerHost).toLocaleString('en-US').padStart(6)} B a tracked host (RSS ${(c.rssBytes / 1e6).toFixed(0)} MB, ${c.seconds.toFixed(1)} s)`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const hosts = Number(process.env.FLUXHOUND_BENCH_FLOW_HOSTS ?? 1_000_000);
  const figures = benchFlowMemory(hosts, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${formatFlowMemory(figures)}\n`);
}
