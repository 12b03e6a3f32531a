/** The printed table. */
import type { BenchResults } from './results.js';
import type { SideSummary } from './summary.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const mb = (bytes: number): string => fixed(bytes / 1e6, 0);

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
}

function table(sides: readonly SideSummary[]): string[] {
  const widths = [44, 9, 9, 9, 12, 8, 14];
  const lines = [row(['', 'time (s)', 'wall (s)', 'CPU (s)', 'records/s', 'MB/s', 'peak RSS (MB)'], widths)];
  for (const s of sides) {
    lines.push(
      row(
        [s.label, fixed(s.seconds, 2), fixed(s.wallSeconds, 2), fixed(s.cpuSeconds, 2), int(s.recordsPerSecond), fixed(s.megabytesPerSecond, 1), mb(s.peakRssBytes)],
        widths,
      ),
    );
  }
  return lines;
}

export function formatReport(r: BenchResults): string {
  const lines: string[] = [];
  const d = r.dataset;
  lines.push(`fluxhound bench: ${int(d.records)} records, ${fixed(d.bytes / 1e6, 1)} MB, ${d.path}`);
  lines.push(
    d.generation === null
      ? '  input reused (same seed, size and generator version)'
      : `  input generated in ${fixed(d.generation.seconds, 1)} s (${int(d.generation.linesPerSecond)} lines/s)`,
  );
  lines.push(`  medians of ${r.runs} run(s); time = in-process (fluxhound elapsedMs, DuckDB connect to materialised result)`);
  lines.push('');
  const sides = [r.fluxhound, r.features, ...r.duckdb, r.plainJs].filter((s): s is SideSummary => s !== null);
  lines.push(...table(sides));
  lines.push('');
  if (r.featureRatio !== null) {
    const f = r.featureRatio;
    const target = `${fixed(f.target, 1)}x`;
    const goal = `${fixed(f.goal, 1)}x`;
    const verdict = f.ratio >= f.goal ? `meets the ${goal} goal` : f.ratio >= f.target ? `meets the ${target} target, short of the ${goal} goal` : `BELOW the ${target} target`;
    lines.push(`${r.fluxhound?.label ?? 'fluxhound'} / DuckDB per-name features (all cores): ${fixed(f.ratio, 2)}x records/s, ${verdict}`);
    lines.push(`  target >= ${target}, goal ${goal}; on wall time (process start to exit): ${fixed(f.wallRatio, 2)}x; per CPU second: ${fixed(f.cpuRatio, 2)}x`);
  }
  if (r.ratio !== null) {
    const verdict = r.ratio.vsDefaultThreads >= r.ratio.target ? 'meets' : 'BELOW';
    lines.push(
      `fluxhound / DuckDB (unnest, default threads): ${fixed(r.ratio.vsDefaultThreads, 2)}x records/s, ${verdict} the ${r.ratio.target}x target`,
    );
    lines.push(`fluxhound / DuckDB (unnest, 1 thread):        ${fixed(r.ratio.vsOneThread, 2)}x`);
    lines.push(`same ratio on wall time (process start to exit): ${fixed(r.ratio.wallVsDefaultThreads, 2)}x`);
  }
  if (r.plainJs !== null && r.plainJsRatio !== null) {
    const ceiling = r.plainJsRatio;
    lines.push(
      `plain JS / DuckDB (unnest, default threads):   ${fixed(ceiling, 2)}x: the ceiling for an analyzer in JavaScript on this machine` +
        (r.ratio === null ? '' : ceiling < r.ratio.target ? `, itself BELOW the ${r.ratio.target}x target` : ''),
    );
    if (r.fluxhound !== null) lines.push(`fluxhound / plain JS:                          ${fixed(r.fluxhound.recordsPerSecond / r.plainJs.recordsPerSecond, 2)}x`);
  }
  if (r.memory !== null) {
    const m = r.memory;
    const per = m.bytesPerDomain === null ? 'n/a (no heap figure)' : `${int(m.bytesPerDomain)} B/domain`;
    const verdict = m.bytesPerDomain === null ? '' : m.bytesPerDomain <= r.memoryTargetBytes ? ', meets' : ', ABOVE';
    lines.push('');
    lines.push(
      `memory: ${int(m.records)} records, ${int(m.domainsTracked)} domains tracked, heap after GC ` +
        `${m.heapUsedAfterGcBytes === null ? 'n/a' : `${mb(m.heapUsedAfterGcBytes)} MB`}: ${per}${verdict} the ${r.memoryTargetBytes} B target`,
    );
    if (m.bytesPerDomainAboveBaseline !== null) lines.push(`  above the heap baseline before input: ${int(m.bytesPerDomainAboveBaseline)} B/domain`);
    lines.push(`  peak RSS ${mb(m.peakRssBytes)} MB`);
  }
  if (r.enrich !== null) {
    lines.push('');
    lines.push(`enrich: ${int(r.enrich.v4PerSec)} IPv4 lookups/s, ${int(r.enrich.v6PerSec)} IPv6 lookups/s, loaded in ${int(r.enrich.loadMs)} ms`);
  }
  if (r.failures.length > 0) {
    lines.push('');
    for (const f of r.failures) lines.push(`not measured: ${f}`);
  }
  return `${lines.join('\n')}\n`;
}
