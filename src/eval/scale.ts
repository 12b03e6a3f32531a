/**
 * `fluxhound eval --scenario scale`: the scale scenario of `src/corpus/scale.ts`
 * (about a million popular names and a handful of fast-flux domains) generated
 * straight into the detector, scored per class and per million benign names,
 * with the wall time, peak RSS and record count it took. Only what scoring
 * needs is kept: the verdicts that are not benign, and which names the
 * detector heard of at all; the labels are the population's own objects.
 */
import type { Config } from '../config/schema.js';
import { FlaggedDomains } from '../act/flagged.js';
import { rpzOptionsOf } from '../act/rpz/zone.js';
import { generateCorpus } from '../corpus/generate.js';
import type { Population } from '../corpus/population.js';
import { scaleSpec } from '../corpus/scale.js';
import type { TrafficResult } from '../corpus/traffic.js';
import { SinkWriter } from '../corpus/writers/sink-writer.js';
import { Detector } from '../detect/detector.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Infra } from '../enrich/infra/index.js';
import type { Verdict } from '../model/verdict.js';
import { accuracy, blocking, callOf, type Accuracy, type Blocking, type Call, type LabelledName } from './metrics.js';

export interface ScaleOptions {
  seed?: number;
  /** Benign names of the population; the published scenario has a million. */
  names?: number;
  config: Config;
  enricher: Enricher;
  infra: Infra | null;
}

export interface ScaleResult {
  scenario: 'scale';
  seed: number;
  /** Names of the population and records (exchanges) generated. */
  populationNames: number;
  records: number;
  seconds: number;
  /** Peak resident set size of the process, MiB. */
  peakRssMiB: number;
  fluxhound: Accuracy;
  blocking: Blocking;
  /** Names called fast-flux per million benign names asked. */
  falsePositivesPerMillion: number;
  /** Benign names the policy blocks per million benign names asked. */
  blockedPerMillion: number;
}

export async function runScaleEval(options: ScaleOptions): Promise<ScaleResult> {
  const spec = scaleSpec(options.seed, options.names);
  const started = process.hrtime.bigint();
  const { allowlist, actions } = rpzOptionsOf(options.config, options.infra);
  const flagged = new FlaggedDomains({ isAllowed: (name) => allowlist.isAllowed(name) });
  const calls = new Map<string, Call>();
  const heard = new Set<string>();
  const keep = (v: Verdict): void => {
    if (v.verdict !== 'benign' && actions[v.verdict] !== 'log') flagged.upsert(v);
    if (v.scope !== 'name') return;
    heard.add(v.domain);
    if (v.verdict === 'benign') return;
    const call = callOf(v);
    const before = calls.get(v.domain);
    // A name evicted and seen again is reported twice: keep its strongest call.
    if (before === undefined || (call.flagged && !before.flagged)) calls.set(v.domain, call);
  };
  const detector = new Detector({ config: options.config, enricher: options.enricher, infra: options.infra, baseline: null, onFinal: keep, reportBenign: true });
  const { population, traffic } = await generateCorpus(spec, [new SinkWriter({ observe: (o) => detector.observe(o), skip: () => {} })]);
  detector.flush();
  const labels = askedLabels(population, traffic);
  // A flux name heard of but called benign is scored as heard (not "unobserved").
  for (const l of labels) if (l.flux !== null && heard.has(l.name) && !calls.has(l.name)) calls.set(l.name, NOT_FLAGGED);
  const fluxhound = accuracy(labels, calls, true);
  const policy = blocking(labels, (name) => flagged.match(name) !== null);
  const perMillion = (n: number): number => (fluxhound.negatives === 0 ? 0 : (n * 1e6) / fluxhound.negatives);
  return {
    scenario: 'scale',
    seed: spec.seed,
    populationNames: population.popular.length + population.flux.length + population.schedule.names.length,
    records: traffic.records,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    fluxhound,
    blocking: policy,
    falsePositivesPerMillion: perMillion(fluxhound.falsePositives),
    blockedPerMillion: perMillion(policy.falsePositives),
  };
}

const NOT_FLAGGED: Call = { flagged: false, suspicious: false, flux: null, lookupsToFlag: null, secondsToFlag: null, injected: false, nsSeen: false };

/** The queried names the traffic asked for, as the population's own label objects (no copy per name). */
export function askedLabels(population: Population, traffic: TrafficResult): LabelledName[] {
  const labels: LabelledName[] = [];
  const take = (names: Population['popular'], lookups: Uint32Array): void => {
    for (let i = 0; i < names.length; i++) if ((lookups[i] as number) > 0) labels.push((names[i] as Population['popular'][number]).label);
  };
  take(population.popular, traffic.popularLookups);
  take(population.flux, traffic.fluxLookups);
  take(population.schedule.names, traffic.scheduledLookups);
  return labels;
}

/** The scale table: false positives per class and per million benign names, and what the run cost. */
export function renderScale(r: ScaleResult): string {
  const a = r.fluxhound;
  const b = r.blocking;
  const lines = [
    `fluxhound eval --scenario scale: seed ${r.seed}, ${r.populationNames.toLocaleString('en-US')} names, ${r.records.toLocaleString('en-US')} records (direct), ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMiB.toLocaleString('en-US')} MiB`,
    '',
    `benign names asked                 ${a.negatives.toLocaleString('en-US')}`,
    `false positives (fast-flux)        ${a.falsePositives} (${r.falsePositivesPerMillion.toFixed(1)} per million benign names)`,
    `benign names blocked by the policy ${b.falsePositives} (${r.blockedPerMillion.toFixed(1)} per million)${b.falsePositivesByClass.map((c) => `, ${c.class} ${c.names}`).join('')}`,
    '',
    'class                    names      fast-flux  suspicious',
    ...a.benign.map((c) => `${c.class.padEnd(24)} ${String(c.names).padStart(9)}  ${String(c.flagged).padStart(9)}  ${String(c.suspicious).padStart(10)}`),
    ...a.flux.map((c) => `${c.class.padEnd(24)} ${String(c.names).padStart(9)}  ${String(c.flagged).padStart(9)}  ${String(c.suspicious).padStart(10)}`),
    '',
    `flux names detected ${a.truePositives} of ${a.positives} (recall ${a.recall.toFixed(3)}), blocked by the policy ${b.blocked}; median lookups to first flag ${a.medianLookupsToFlag ?? '-'}`,
  ];
  return lines.join('\n') + '\n';
}
