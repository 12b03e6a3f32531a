/**
 * Flow evidence: the name's own (not CDN/cloud) addresses that took or made
 * connections in flow data within the window (NetFlow/IPFIX, conn.log, eve
 * flow), and from how many clients. Live hosts behind rotating answers; but
 * popular sites take connections too, so it is modest (weights.flow_evidence)
 * and counts only on a name with points of its own (detect/flows/evidence.ts):
 * it strengthens a verdict, never makes one. Measured by the detector from
 * its FlowEvidenceSource, not from state: absent from the features without
 * flows, so outputs without flow inputs are unchanged.
 */
import type { FlowEvidence } from '../../model/flow.js';
import { duration, plural, type FeatureFamily } from './family.js';

export const flowEvidence: FeatureFamily = {
  name: 'flow-evidence',
  weights: ['flow_evidence'],
  measure(_state, _ctx, out) {
    // The reused hot-path record may hold the last name's; the detector writes a name's own after measuring.
    if (out.flow_evidence !== undefined) out.flow_evidence = out.flow_clients = 0;
  },
  explain(f, ctx) {
    return flowReason(ctx.flows ?? { addresses: f.flow_evidence ?? 0, clients: f.flow_clients ?? 0, inbound: 0, flows: 0, window: ctx.config.window });
  },
};

/** "9 of its addresses took connections from 12 clients in 1 h (40 flows)", with the inbound side when there is one. */
export function flowReason(e: FlowEvidence): string {
  const parts: string[] = [];
  if (e.clients > 0) parts.push(`took connections from ${plural(e.clients, 'client')}`);
  if (e.inbound > 0) parts.push(`connected in to ${e.inbound} of our hosts`);
  if (parts.length === 0) parts.push('took connections');
  const flows = e.flows > 0 ? ` (${plural(e.flows, 'flow')})` : '';
  return `${e.addresses} of its addresses ${parts.join(' and ')} in ${duration(e.window)}${flows}`;
}
