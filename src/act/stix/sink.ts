/** `analyze --stix FILE`: the run's findings as a STIX 2.1 bundle, written atomically at the end. */
import type { FluxNetworkSummary } from '../../detect/networks.js';
import type { Verdict } from '../../model/verdict.js';
import { writeFileAtomic } from '../rpz/zone-file.js';
import type { VerdictSink } from '../sink.js';
import { buildStixBundle, isShared, stixText, stixVerdictOf, type StixOptions, type StixVerdict } from './bundle.js';

export interface StixSink extends VerdictSink {
  readonly stats: { indicators: number; objects: number };
}

export function stixSink(path: string, options: StixOptions): StixSink {
  // Per name and scope the last verdict wins (a name finalised again carries the newer evidence); only shared ones are kept.
  const verdicts = new Map<string, StixVerdict>();
  let networks: FluxNetworkSummary[] = [];
  const stats = { indicators: 0, objects: 0 };
  return {
    name: 'stix',
    stats,
    verdict(v: Verdict) {
      if (isShared(v, options)) verdicts.set(`${v.scope} ${v.domain}`, stixVerdictOf(v));
    },
    networks(summaries: FluxNetworkSummary[]) {
      networks = summaries;
    },
    async close() {
      const bundle = buildStixBundle([...verdicts.values()], networks, options);
      verdicts.clear();
      stats.indicators = bundle.objects.filter((o) => o.type === 'indicator').length;
      stats.objects = bundle.objects.length;
      await writeFileAtomic(path, stixText(bundle));
    },
  };
}
