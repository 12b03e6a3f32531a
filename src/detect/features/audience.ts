/** Who asks and how often: context for a verdict, not scored yet. */
import { estimateClients } from '../state.js';
import { plural, type FeatureFamily } from './family.js';

export const audience: FeatureFamily = {
  name: 'audience',
  weights: [],
  measure(state, _ctx, out) {
    out.lookups = state.lookups;
    out.answers = state.answers;
    out.clients = estimateClients(state);
    out.names = state.names;
  },
  explain(f) {
    const names = f.names > 0 ? `, ${plural(f.names, 'name')} under it` : '';
    return `${plural(f.lookups, 'lookup')} from ${plural(f.clients, 'client')}${names}`;
  },
};
