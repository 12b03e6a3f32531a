/** CNAME chains whose targets keep changing. */
import { atLeast, plural, type FeatureFamily } from './family.js';

export const cnameFlux: FeatureFamily = {
  name: 'cname-flux',
  weights: ['cname_targets'],
  measure(state, _ctx, out) {
    out.cname_targets = state.delegation === null ? 0 : state.delegation.cnameTargetsEver;
  },
  explain(f, ctx) {
    return `CNAME chain points to ${atLeast(ctx, 'cname_targets')}${plural(f.cname_targets, 'different target')}`;
  },
};
