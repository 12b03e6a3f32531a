/**
 * Micro-benchmark of the Zeek TSV decoder alone: ~1M synthetic dns.log lines
 * (a realistic mix of answered A lookups, CNAME chains, AAAA, NXDOMAIN and
 * unanswered queries) decoded from memory in 256 KiB chunks.
 * Run after a build: `node dist/bench/zeek-decode.js [lines]`.
 */
import { zeekHeader } from '../src/sources/zeek/header.js';
import { zeekFormat } from '../src/sources/zeek/index.js';
import type { DnsObservation, SkippedRecord } from '../src/model/observation.js';

const HEADER = zeekHeader().join('\n');

function syntheticLog(lines: number): Buffer {
  const rows: string[] = [HEADER];
  let ts = 1710234902;
  for (let i = 0; i < lines; i++) {
    ts += 0.000731;
    const client = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const domain = `host${i % 5000}.example${i % 97}.com`;
    let query = domain;
    let qtype = '1\tA';
    let rcode = '0\tNOERROR';
    let answers = `198.51.${i % 256}.${(i * 7) % 256},203.0.113.${(i * 13) % 256}`;
    let ttls = '300.000000,300.000000';
    switch (i % 10) {
      case 0:
        answers = `cdn.${domain},edge${i % 31}.cdn.example.net,192.0.2.${i % 256}`;
        ttls = '3600.000000,60.000000,20.000000';
        break;
      case 1:
        qtype = '28\tAAAA';
        answers = `2001:db8::${(i % 2000).toString(16)}`; // a pool, as CDN addresses recur
        ttls = '300.000000';
        break;
      case 2:
        query = `nx${i}.example.org`;
        rcode = '3\tNXDOMAIN';
        answers = '-';
        ttls = '-';
        break;
      case 3:
        rcode = '-\t-';
        answers = '-';
        ttls = '-';
        break;
    }
    rows.push(
      `${ts.toFixed(6)}\tC${i.toString(36)}Xy8aB2\t${client}\t${40000 + (i % 20000)}\t192.168.1.1\t53\tudp\t${i & 65535}\t0.012345\t${query}\t1\tC_INTERNET\t${qtype}\t${rcode}\tF\tF\tT\tT\t0\t${answers}\t${ttls}\tF`,
    );
  }
  return Buffer.from(rows.join('\n') + '\n');
}

function run(input: Buffer): { seconds: number; cpuSeconds: number; observed: number; skipped: number } {
  let observed = 0;
  let skipped = 0;
  let answers = 0;
  const sink = {
    observe(observation: DnsObservation): void {
      observed++;
      answers += observation.answers.length;
    },
    skip(_skipped: SkippedRecord): void {
      skipped++;
    },
  };
  const decoder = zeekFormat.createDecoder('bench.log', sink);
  const chunk = 256 * 1024;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let pos = 0; pos < input.length; pos += chunk) decoder.push(input.subarray(pos, pos + chunk));
  decoder.end();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // CPU time too: on a shared machine wall time also counts other processes' turns.
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (answers < 0) console.log(answers); // keep the work observable
  return { seconds, cpuSeconds, observed, skipped };
}

const lines = Number(process.argv[2] ?? 1_000_000);
const input = syntheticLog(lines);
run(syntheticLog(20_000)); // warm-up
for (let round = 1; round <= 3; round++) {
  const { seconds, cpuSeconds, observed, skipped } = run(input);
  const rate = (time: number) => Math.round(observed / time).toLocaleString('en-US');
  console.log(
    `round ${round}: ${observed} records (${skipped} skipped) in ${seconds.toFixed(3)} s: ${rate(seconds)} records/s wall, ${rate(cpuSeconds)} per CPU second, ${(input.length / seconds / 1e6).toFixed(0)} MB/s`,
  );
}
