/**
 * What a partition's worker keeps for serve's live detector (`serve
 * --workers N`, protocol.ts "Live"): the intel index and allowlist names in
 * force, its own flow evidence, and the one change a 'live-prepare' holds
 * until its 'live-commit' or 'live-abort'. analyze's workers have none of it.
 */
import type { Config } from '../../config/schema.js';
import { validateConfig } from '../../config/load.js';
import { replaceSections } from '../../config/sections.js';
import type { Infra } from '../../enrich/infra/index.js';
import { unpackIntelIndex, type IntelIndex } from '../../intel/index.js';
import type { IntelView } from '../../intel/view.js';
import type { FlowRecord } from '../../model/flow.js';
import type { Detector } from '../detector.js';
import type { FlowAnalysis } from '../flows/analysis.js';
import { createFlowAnalysis } from '../flows/index.js';
import type { LiveChange, LiveReply, LiveRequest, LiveSetup } from './protocol.js';

export class LivePartition {
  /** The daemon's intel index, as last committed (null: none). */
  private intel: IntelIndex | null = null;
  private allowed: ReadonlySet<string> = new Set();
  /** A prepared change, applied by the commit with its id. */
  private pending: { id: number; apply: () => void } | null = null;
  readonly view: IntelView = { current: () => this.intel };
  /**
   * The flow evidence the detector reads: a flow analysis fed the daemon's
   * flows in the order its own analysis takes them (each batch carries them
   * at their place among the observations). evidence() reads only the
   * per-address flow tallies, which depend on the flows alone, so it answers
   * what the main thread's analysis would. Findings (exposures, fan-out) are
   * the main thread's: none are made here.
   */
  readonly flows: FlowAnalysis | null;

  constructor(
    setup: LiveSetup,
    private readonly config: Config,
    infra: Infra | null,
  ) {
    // Fan-out (distinct 0: off) and exposures (no verdicts here: none) cost nothing in this copy.
    const evidenceOnly: Config = { ...config, flows: { ...config.flows, fanOut: { ...config.flows.fanOut, distinct: 0 } } };
    this.flows = setup.flows ? createFlowAnalysis({ config: evidenceOnly, infra, findings: { exposure() {}, fanOut() {} } }) : null;
  }

  /** The allowlist as the detector asks it (DetectorOptions.isAllowlisted): a name or an ancestor is listed. */
  readonly isAllowlisted = (name: string): boolean => {
    if (this.allowed.size === 0) return false;
    for (let n = name; ; ) {
      if (this.allowed.has(n)) return true;
      const dot = n.indexOf('.');
      if (dot < 0) return false;
      n = n.slice(dot + 1);
    }
  };

  /** The daemon's flows handed with a batch, before the observation at `before` (Infinity: all that are left). */
  takeFlows(flows: readonly FlowRecord[], at: Float64Array, from: number, before: number): number {
    let i = from;
    while (i < flows.length && at[i]! <= before) this.flows?.flow(flows[i++]!);
    return i;
  }

  /** A live request; the reply to post (null: a commit or abort, which need none). Throws nothing: a refusal is the reply's error. */
  handle(request: LiveRequest, detector: Detector, partition: number): LiveReply | null {
    const reply: LiveReply = { t: 'live-reply', id: request.id, partition, error: null };
    switch (request.t) {
      case 'live-stats':
        reply.stats = { tracked: detector.tracked, stats: detector.stats };
        return reply;
      case 'live-members':
        reply.members = membersOf(detector, request.label, request.first, request.limit);
        return reply;
      case 'live-prepare':
        try {
          this.pending = { id: request.id, apply: this.prepare(request.change) };
        } catch (err) {
          this.pending = null;
          reply.error = firstLine(err instanceof Error ? err.message : String(err));
        }
        return reply;
      case 'live-commit':
        if (this.pending?.id === request.id) this.pending.apply();
        this.pending = null;
        return null;
      case 'live-abort':
        if (this.pending?.id === request.id) this.pending = null;
        return null;
    }
  }

  /** Check a change and return what applies it; throws (changing nothing) when this worker cannot take it. */
  private prepare(change: LiveChange): () => void {
    switch (change.k) {
      case 'config': {
        // It crossed a thread: checked again as the daemon checked it.
        const next = validateConfig(change.config, 'reload');
        return () => replaceSections(this.config, next);
      }
      case 'intel': {
        const index = change.index === null ? null : unpackIntelIndex(change.index);
        return () => (this.intel = index);
      }
      case 'renew':
        return () => this.intel?.renew(change.feed, change.expiresAt);
      case 'allowlist': {
        if (!Array.isArray(change.names) || !change.names.every((n) => typeof n === 'string')) throw new Error('allowlist: expected a list of names');
        const names = new Set(change.names);
        return () => (this.allowed = names);
      }
    }
  }
}

/**
 * This partition's part of a network: its own domains' edges and address
 * facts (Detector.networkMembers reads only the names it tracks). Found by
 * the main thread's label, or by its first domain should the numbering here
 * differ; null when this partition's graph has no such network.
 */
function membersOf(detector: Detector, label: string, first: string, limit: number): ReturnType<Detector['networkMembers']> {
  const networks = detector.networks;
  const root = networks.idOf(label);
  if (root >= 0 && networks.sampleOf(root)[0] === first) return detector.networkMembers(label, limit);
  const found = networks.summaries().find((s) => s.sample_domains[0] === first);
  return found === undefined ? null : detector.networkMembers(found.id, limit);
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl === -1 ? text : text.slice(0, nl);
}
