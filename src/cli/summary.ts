/** The closing summary of a run, on stderr. */
import type { AnalyzeSummary, FlowSummary } from '../analyze.js';
import { escapeName } from '../dns/name-text.js';
import { formatBytes } from './progress.js';

export function printSummary(out: NodeJS.WritableStream, s: AnalyzeSummary, elapsedMs: number): void {
  const secs = elapsedMs / 1000;
  const rate = secs > 0 ? Math.round(s.records / secs) : 0;
  const lines = [
    `fluxhound: read ${n(s.records)} ${s.records === 1 ? 'record' : 'records'} from ${n(s.files)} ${s.files === 1 ? 'input' : 'inputs'} (${formatBytes(s.bytes)}) in ${secs.toFixed(2)} s (${n(rate)} records/s); skipped ${n(s.skipped)}`,
  ];
  for (const k of s.skippedSamples) {
    lines.push(`  skipped ${escapeName(k.position.file)}:${k.position.line}: ${k.format}: ${k.reason}`);
  }
  if (s.skipped > s.skippedSamples.length) {
    const reasons = [...s.skippedByReason].sort((a, b) => b[1] - a[1]).slice(0, 5);
    lines.push(`  … ${n(s.skipped - s.skippedSamples.length)} more; by reason: ${reasons.map(([r, c]) => `${r} ×${n(c)}`).join('; ')}`);
  }
  const d = s.detector;
  lines.push(
    `tracked ${n(d.namesTracked)} names and ${n(d.registeredTracked)} multi-name registered domains (${n(d.ignored)} ${d.ignored === 1 ? 'record' : 'records'} carried no A/AAAA/NS/CNAME data); evicted ${n(d.evicted)}`,
    `flagged ${n(s.fastFlux + s.suspicious)}: ${n(s.fastFlux)} fast-flux, ${n(s.suspicious)} suspicious; ${n(s.networks.length)} flux ${s.networks.length === 1 ? 'network' : 'networks'}`,
  );
  if (s.injected + s.poisoned + s.conflictingResponses > 0) {
    lines.push(
      `tampering: ${n(s.injected)} ${s.injected === 1 ? 'name' : 'names'} with injected answers, ${n(s.poisoned)} poisoned; ${n(s.conflictingResponses)} second, different ${s.conflictingResponses === 1 ? 'response' : 'responses'} to one query (not flux; never blocked)`,
    );
  }
  if (s.intelListings + s.intelEvidence > 0) {
    lines.push(`intel: ${n(s.intelListings)} ${s.intelListings === 1 ? 'domain' : 'domains'} listed by a feed, ${n(s.intelEvidence)} ${s.intelEvidence === 1 ? 'verdict' : 'verdicts'} naming feed entries as evidence`);
  }
  lines.push(...flowLines(s.flows));
  if (s.workers > 1) lines.push(`detector: ${n(s.workers)} worker threads, one partition of the registered domains each`);
  lines.push(`enrichment: ${s.enrichment.join('; ')}`);
  out.write(lines.join('\n') + '\n');
}

/**
 * One line, only when the run read flow data (a DNS-only run's summary is
 * unchanged), and an indented line for each of what the analysis could not
 * use, only when non-zero: flows dropped (late: a flow file out of time
 * order; invalid), and flows that joined a flux host but no exposure
 * (unattributed: past flows.limits.maxClientsPerAddress before the verdict).
 */
export function flowLines(f: FlowSummary): string[] {
  if (f.records + f.skipped === 0) return [];
  const lines = [
    `flows: read ${n(f.records)} flow ${f.records === 1 ? 'record' : 'records'}, skipped ${n(f.skipped)}; ${n(f.exposures)} ${f.exposures === 1 ? 'exposure' : 'exposures'} to flux hosts (${n(f.bypass)} DNS bypass, ${n(f.inbound)} inbound); ${n(f.fanOuts)} fan-out ${f.fanOuts === 1 ? 'host' : 'hosts'}`,
  ];
  const dropped = [
    f.late > 0 ? `${n(f.late)} late (far behind the newest flow: give flow files in time order)` : null,
    f.invalid > 0 ? `${n(f.invalid)} with impossible times or counts` : null,
  ].filter((part) => part !== null);
  if (dropped.length > 0) lines.push(`  flows dropped: ${dropped.join(', ')}`);
  if (f.unattributed > 0) {
    lines.push(
      `  flows in no exposure: ${n(f.unattributed)} to or from flux hosts before the verdict, from clients past flows.limits.maxClientsPerAddress (counted in the flow evidence)`,
    );
  }
  if (f.bypassUnknown > 0) {
    lines.push(`  DNS bypass unproven: ${n(f.bypassUnknown)} exposures whose hosts' lookups no longer fit in memory (flows.limits.maxClientEntries): reported as no bypass`);
  }
  return lines;
}

const n = formatCount;

/**
 * x as toLocaleString('en-US') writes it (1234567 → '1,234,567'), without
 * it for whole numbers: the first toLocaleString of a process loads ICU's
 * number formatting, 20-40 ms of every start for one summary.
 */
export function formatCount(x: number): string {
  if (!Number.isSafeInteger(x)) return x.toLocaleString('en-US');
  const digits = String(Math.abs(x));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return x < 0 ? `-${out}` : out;
}
