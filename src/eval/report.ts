/** The side-by-side accuracy table of `fluxhound eval`. */
import type { ClassRow } from './metrics.js';
import type { EvalInput, EvalResult } from './run.js';
import type { Spread, SweepRow } from './sweep.js';
import type { LeadTimeResult } from './intel-run.js';

export function renderEval(r: EvalResult): string {
  const rows: [string, string, string][] = [
    ['precision', pct(r.fluxhound.precision), pct(r.holz.precision)],
    ['recall', pct(r.fluxhound.recall), pct(r.holz.recall)],
    [`  over the ${r.fluxhound.positives - r.fluxhound.unobserved} flux names seen resolving`, pct(r.fluxhound.recallObserved), pct(r.holz.recallObserved)],
    [`false positives (of ${r.fluxhound.negatives} benign names)`, String(r.fluxhound.falsePositives), String(r.holz.falsePositives)],
  ];
  for (const b of r.fluxhound.benign) {
    const h = r.holz.benign.find((x) => x.class === b.class);
    rows.push([`  FPR ${b.class} (${b.names})`, rate(b.flagged, b.names, b.suspicious), h === undefined ? '-' : rate(h.flagged, h.names, 0)]);
  }
  for (const f of r.fluxhound.flux) {
    const h = r.holz.flux.find((x) => x.class === f.class);
    rows.push([`  detected ${f.class} (${f.names})`, rate(f.flagged, f.names, f.suspicious), h === undefined ? '-' : rate(h.flagged, h.names, 0)]);
  }
  rows.push(['injection reported (tampering)', injectionRow(r.fluxhound.benign), 'n/a']);
  const b = r.blocking;
  rows.push(
    ['flux names blocked by the policy', `${b.blocked} (${pct(b.recall)})`, 'n/a (no policy)'],
    [`benign names blocked (of ${b.negatives})`, [String(b.falsePositives), ...b.falsePositivesByClass.map((c) => `${c.class} ${c.names}`)].join(', '), 'n/a'],
    ['double flux labelled double', r.fluxhound.doubleFluxCorrect === null ? 'n/a' : pct(r.fluxhound.doubleFluxCorrect), 'n/a (no NS model)'],
    ['  over names whose NS records appeared', r.fluxhound.doubleFluxCorrectNsSeen === null ? 'n/a' : pct(r.fluxhound.doubleFluxCorrectNsSeen), 'n/a'],
    ['median lookups to first flag', num(r.fluxhound.medianLookupsToFlag), num(r.holz.medianLookupsToFlag)],
    ['p90 lookups to first flag', num(r.fluxhound.p90LookupsToFlag), num(r.holz.p90LookupsToFlag)],
    ['median minutes to first flag', num(r.fluxhound.medianMinutesToFlag, 1), num(r.holz.medianMinutesToFlag, 1)],
  );
  const w0 = Math.max(...rows.map((x) => x[0].length), 6);
  const w1 = Math.max(...rows.map((x) => x[1].length), 9);
  const lines = [
    `fluxhound eval: seed ${r.seed}, ${r.records.toLocaleString('en-US')} records (${r.format}), ${r.fluxhound.positives} flux and ${r.fluxhound.negatives} benign names, ${r.seconds.toFixed(1)} s`,
    '',
    `${'metric'.padEnd(w0)}  ${'fluxhound'.padEnd(w1)}  Holz et al. 2008`,
    ...rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`),
    '',
    'A name counts as detected when its verdict is fast-flux; (+N susp.) = also reported as suspicious.',
    'Blocked: what `serve --dns` and the RPZ feed would block with this config (a flagged name blocks its registered domain).',
  ];
  return lines.join('\n') + '\n';
}

/**
 * Names of the `injected` class whose verdict carried an injection finding,
 * then any other class that had one (a platform's own name reported as
 * injected is a false report).
 */
function injectionRow(benign: readonly ClassRow[]): string {
  const injected = benign.find((c) => c.class === 'injected');
  const head = injected === undefined ? 'no injected class' : rate(injected.injected, injected.names, 0);
  const others = benign.filter((c) => c.class !== 'injected' && c.injected > 0).map((c) => `${c.class} ${c.injected}`);
  return [head, ...others].join(', ');
}

function pct(x: number): string {
  return x.toFixed(3);
}

function rate(flagged: number, names: number, suspicious: number): string {
  const base = `${flagged} (${names === 0 ? '0.000' : (flagged / names).toFixed(3)})`;
  return suspicious > 0 ? `${base} +${suspicious} susp.` : base;
}

function num(x: number | null, digits = 0): string {
  return x === null ? '-' : x.toFixed(digits);
}


/**
 * One seed, several formats: fluxhound's figures as rows, one column per
 * format, so a figure that differs between inputs shows on its row.
 */
export function renderFormats(results: readonly EvalResult[]): string {
  const first = results[0];
  if (first === undefined) return '';
  const rows: string[][] = [];
  const row = (metric: string, cell: (r: EvalResult) => string) => rows.push([metric, ...results.map(cell)]);
  row('precision', (r) => pct(r.fluxhound.precision));
  row('recall', (r) => pct(r.fluxhound.recall));
  row('  over flux names seen resolving', (r) => `${pct(r.fluxhound.recallObserved)} of ${r.fluxhound.positives - r.fluxhound.unobserved}`);
  row(`false positives (of ${first.fluxhound.negatives} benign)`, (r) => String(r.fluxhound.falsePositives));
  for (const b of first.fluxhound.benign) {
    row(`  ${b.class} (${b.names})`, (r) => {
      const x = r.fluxhound.benign.find((c) => c.class === b.class);
      return x === undefined ? '-' : x.suspicious > 0 ? `${x.flagged} +${x.suspicious} susp.` : String(x.flagged);
    });
  }
  for (const f of first.fluxhound.flux) {
    row(`detected ${f.class} (${f.names})`, (r) => {
      const x = r.fluxhound.flux.find((c) => c.class === f.class);
      return x === undefined ? '-' : `${x.flagged} (${x.rate.toFixed(3)})`;
    });
  }
  row('flux names blocked by the policy', (r) => `${r.blocking.blocked} (${pct(r.blocking.recall)})`);
  row('benign names blocked', (r) => String(r.blocking.falsePositives));
  row('injection reported (tampering)', (r) => injectionRow(r.fluxhound.benign));
  row('double flux labelled double', (r) => (r.fluxhound.doubleFluxCorrect === null ? 'n/a' : pct(r.fluxhound.doubleFluxCorrect)));
  row('  over names whose NS records appeared', (r) => (r.fluxhound.doubleFluxCorrectNsSeen === null ? 'n/a' : pct(r.fluxhound.doubleFluxCorrectNsSeen)));
  row('median lookups to first flag', (r) => num(r.fluxhound.medianLookupsToFlag));
  row('p90 lookups to first flag', (r) => num(r.fluxhound.p90LookupsToFlag));
  row('median minutes to first flag', (r) => num(r.fluxhound.medianMinutesToFlag, 1));
  row('records read', (r) => r.records.toLocaleString('en-US'));
  row('reading + detection, s', (r) => (r.format === 'direct' ? 'in generation' : r.detectSeconds.toFixed(1)));
  row('Holz et al.: recall / false positives', (r) => `${pct(r.holz.recall)} / ${r.holz.falsePositives}`);
  const header = `fluxhound eval: seed ${first.seed}, ${first.fluxhound.positives} flux and ${first.fluxhound.negatives} benign names; corpus generated once for ${results.length} inputs in ${first.generateSeconds.toFixed(1)} s`;
  return `${header}\n\n${table(['metric', ...results.map((r) => r.format)], rows)}\nA name counts as detected when its verdict is fast-flux; +N susp. = also reported as suspicious.\n`;
}

/** Many seeds: min / median / max of each headline figure, per format. */
export function renderSweep(seeds: readonly number[], summary: readonly SweepRow[], formats: readonly EvalInput[], seconds: number): string {
  const rows = summary.map((s) => [s.metric, ...formats.map((f) => spread(s.byFormat[f]))]);
  const shown = seeds.length > 12 ? `${seeds.slice(0, 12).join(', ')}, ... (${seeds.length})` : seeds.join(', ');
  return `fluxhound eval: ${seeds.length} seeds (${shown}) × ${formats.length} inputs, ${seconds.toFixed(0)} s\n\n${table(['min / median / max', ...formats], rows)}\n`;
}

function spread(s: Spread | undefined): string {
  if (s === undefined || s.runs === 0) return '-';
  const f = (x: number | null) => (x === null ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(3));
  return s.min === s.max ? f(s.min) : `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;
}

function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** The lead-time table: one row per registered domain in both, then the summary. */
export function renderLeadTime(r: LeadTimeResult): string {
  const s = r.summary;
  const lines = [
    `fluxhound eval --intel: ${r.feed.domains} listed domains from ${r.feed.file} (${r.feed.shape ?? 'empty'}; ${r.feed.skipped} bad lines skipped), ${r.capture.records.toLocaleString('en-US')} records from ${r.capture.files.length} input(s)`,
  ];
  for (const k of r.feed.skippedSamples) lines.push(`  skipped line ${k.line}: ${k.reason}`);
  lines.push('');
  const rows = r.rows.map((x) => [x.domain, x.flaggedName, isoMinute(x.flaggedAt), x.listedName, isoMinute(x.listedAt), duration(x.leadSeconds)]);
  lines.push(table(['registered domain', 'flagged name', 'first flagged (UTC)', 'listed name', 'listed at (UTC)', 'lead'], rows));
  lines.push(
    `domains in both                 ${s.inBoth} (of ${s.flagged} flagged, ${s.listed} listed)`,
    `flagged before listing          ${s.flaggedBeforeListing}`,
    `median lead time                ${s.medianLeadSeconds === null ? '-' : duration(s.medianLeadSeconds)}`,
    `p90 lead time                   ${s.p90LeadSeconds === null ? '-' : duration(s.p90LeadSeconds)}`,
    `listed, never flagged           ${s.listedNeverFlagged} (${s.listedSeenNeverFlagged.length} of them in the capture${sample(s.listedSeenNeverFlagged)})`,
    `flagged, not listed             ${s.flaggedNotListed.length}${sample(s.flaggedNotListed)}`,
    '',
    'Lead = listed at − first flagged (data time): positive when fluxhound flagged the domain first. Names match by registered domain.',
  );
  return lines.join('\n') + '\n';
}

function sample(names: readonly string[]): string {
  if (names.length === 0) return '';
  return `: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`;
}

function isoMinute(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

/** '+3 h 12 min', '-45 min', '+2 d 4 h'. */
export function duration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  let rest = Math.round(Math.abs(seconds) / 60);
  const days = Math.floor(rest / 1440);
  rest -= days * 1440;
  const hours = Math.floor(rest / 60);
  const minutes = rest - hours * 60;
  if (days > 0) return `${sign}${days} d ${hours} h`;
  if (hours > 0) return `${sign}${hours} h ${minutes} min`;
  return `${sign}${minutes} min`;
}
