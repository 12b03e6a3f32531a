/**
 * What a query for a flagged name gets, from config.policy: the action per
 * verdict label, and the answer bytes for it. Parsed once at start-up.
 */
import { isIP } from 'node:net';
import type { Config, PolicyAction } from '../../config/schema.js';
import { parseIPv4, parseIPv6 } from '../../model/names.js';
import type { Verdict } from '../../model/verdict.js';
import { isIntelListing } from '../../detect/intel-verdict.js';
import { addressAnswer, emptyAnswer, RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_A, TYPE_AAAA, type QueryInfo } from './wire.js';

/** TTL of policy answers: short, so that an unblocked name recovers quickly. */
const POLICY_TTL = 60;

export class Policy {
  private readonly fastFlux: PolicyAction;
  private readonly suspicious: PolicyAction;
  private readonly ipv4: Uint8Array;
  private readonly ipv6: Uint8Array;

  constructor(policy: Config['policy']) {
    this.fastFlux = policy.fastFlux;
    this.suspicious = policy.suspicious;
    this.ipv4 = addressBytes(policy.sinkhole.ipv4, 4);
    this.ipv6 = addressBytes(policy.sinkhole.ipv6, 6);
  }

  /**
   * A feed's listing (detect/intel-verdict) takes its feed's action: 'block'
   * answers as fast flux does, 'log' answers normally and is recorded.
   */
  actionFor(v: Verdict): PolicyAction {
    if (v.intel !== undefined && isIntelListing(v)) return v.intel[0]!.action === 'log' ? 'log' : this.fastFlux;
    if (v.verdict === 'fast-flux') return this.fastFlux;
    if (v.verdict === 'suspicious') return this.suspicious;
    return 'log';
  }

  /** The answer for a blocking action; null for 'drop' (no answer) and 'log' (answered normally). */
  answer(action: PolicyAction, query: Uint8Array, q: QueryInfo): Buffer | null {
    switch (action) {
      case 'nxdomain':
        return emptyAnswer(query, q.questionEnd, RCODE_NXDOMAIN);
      case 'nodata':
        return emptyAnswer(query, q.questionEnd, RCODE_NOERROR);
      case 'sinkhole':
        if (q.qtype === TYPE_A && q.qclass === 1) return addressAnswer(query, q.questionEnd, TYPE_A, this.ipv4, POLICY_TTL);
        if (q.qtype === TYPE_AAAA && q.qclass === 1) return addressAnswer(query, q.questionEnd, TYPE_AAAA, this.ipv6, POLICY_TTL);
        return emptyAnswer(query, q.questionEnd, RCODE_NOERROR);
      case 'drop':
      case 'log':
        return null;
    }
  }
}

function addressBytes(text: string, family: 4 | 6): Uint8Array {
  if (family === 4) {
    const n = isIP(text) === 4 ? parseIPv4(text) : 0x7f000001;
    return Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  }
  const g = parseIPv6(text) ?? Uint16Array.of(0, 0, 0, 0, 0, 0, 0, 1);
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = g[i]! >>> 8;
    out[2 * i + 1] = g[i]! & 255;
  }
  return out;
}
