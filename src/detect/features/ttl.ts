/** How short-lived the answers are. */
import { tableTtls } from '../address-table.js';
import { plural, round, type FeatureFamily } from './family.js';

export const ttl: FeatureFamily = {
  name: 'ttl',
  weights: ['ttl_min'],
  measure(state, ctx, out) {
    if (state.ttlSamples === 0) {
      out.ttl_min = out.ttl_median = out.ttl_low_share = null;
      return;
    }
    out.ttl_min = state.ttlMin;
    out.ttl_median = ctx.detail ? median(tableTtls(state.addresses)) : null;
    out.ttl_low_share = round(state.ttlLowSamples / state.ttlSamples);
  },
  explain(f, ctx) {
    if (f.ttl_min === null) return 'no TTLs in the input';
    const share = Math.round((f.ttl_low_share ?? 0) * 100);
    return `min TTL ${plural(f.ttl_min, 's', 's')}, median ${f.ttl_median ?? '?'} s, ${share}% of answers under ${ctx.config.lowTtl} s`;
  },
};

/** Median of the latest TTL of each retained address. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}
