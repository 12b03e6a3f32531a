/** The side-by-side accuracy table of `fluxhound eval`. */
import type { ClassRow } from './metrics.js';
import type { EvalResult } from './run.js';

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

