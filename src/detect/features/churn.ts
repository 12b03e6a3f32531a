/** How much each answer differs from the one before (rotation). */
import { round, type FeatureFamily } from './family.js';

export const churn: FeatureFamily = {
  name: 'churn',
  weights: ['churn'],
  measure(state, _ctx, out) {
    out.churn = state.churnCount === 0 ? null : round(state.churnMilli / state.churnCount / 1000);
  },
  explain(f) {
    if (f.churn === null) return 'answer rotation not measured (fewer than two answers with TTLs)';
    return `successive answers differ by ${Math.round(f.churn * 100)}% on average`;
  },
};
