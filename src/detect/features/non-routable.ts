/**
 * Answers in special-purpose space (private, reserved, multicast, bogon;
 * src/model/special-purpose.ts). No public host answers from there, so they
 * are never address diversity: the digest leaves them out before any state
 * stores them, and this family only reports how many there were.
 */
import { describeBlocks } from '../../model/special-purpose.js';
import { plural, type FeatureFamily } from './family.js';

/** Blocks a reason names before it says "and N more". */
const NAMED_BLOCKS = 3;

export const nonRoutable: FeatureFamily = {
  name: 'non-routable',
  weights: [],
  measure(state, _ctx, out) {
    out.non_routable = state.marks.nonRoutable;
  },
  explain(f) {
    return `${plural(f.non_routable, 'non-routable answer')} not counted as diversity`;
  },
  note(state, f) {
    if (f.non_routable === 0) return null;
    const blocks = describeBlocks(state.marks.nonRoutableBlocks);
    const named = blocks.slice(0, NAMED_BLOCKS).join(', ');
    const more = blocks.length > NAMED_BLOCKS ? ` and ${blocks.length - NAMED_BLOCKS} more` : '';
    return `${plural(f.non_routable, 'non-routable answer')} (${named}${more}) not counted as diversity`;
  },
};
