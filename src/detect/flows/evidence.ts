/**
 * Flow evidence into a domain's evaluation: the features flow_evidence and
 * flow_clients, the score with them, and the reason. Flow points count only
 * on a name that scored points of its own (popular sites take connections
 * too): flows strengthen a verdict, they never make one.
 */
import type { Config } from '../../config/schema.js';
import type { FlowEvidence } from '../../model/flow.js';
import { ADDRESS_STRIDE, K_KEY, K_PROVIDER, type AddressTable } from '../address-table.js';
import type { Evaluation } from '../evaluate.js';
import { flowReason } from '../features/flow-evidence.js';
import { formatIPv4 } from '../../model/names.js';
import { scoreFeatures } from '../score.js';

/** The domain's own (not CDN/cloud) retained addresses, as text: what the FlowEvidenceSource is asked about. */
export function ownAddresses(table: AddressTable | null): string[] {
  const out: string[] = [];
  if (table === null) return out;
  for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
    if ((table[i + K_PROVIDER] as number) >= 0) continue;
    const key = table[i + K_KEY]!;
    out.push(typeof key === 'number' ? formatIPv4(key >>> 0) : key);
  }
  return out;
}

/** The evaluation with the flow evidence in: features, score (when the name has points of its own) and reason. */
export function withFlowEvidence(evaluation: Evaluation, evidence: FlowEvidence, config: Config): Evaluation {
  const features = evaluation.features;
  features.flow_evidence = evidence.addresses;
  features.flow_clients = evidence.clients;
  const scored = evaluation.scored.score > 0 ? scoreFeatures(features, config) : evaluation.scored;
  const counted = scored.contributions.some((c) => c.feature === 'flow_evidence');
  // Without points the reason is still told (after the scored ones): the operator sees who talked to the name.
  const notes = counted ? evaluation.notes : [...evaluation.notes, flowReason(evidence)];
  return { ...evaluation, scored, notes, flows: evidence };
}
