/** GET /api/v1/flagged: the live flagged set, filtered, sorted and paged, with every reason. */
import type { Verdict } from '../../../model/verdict.js';
import type { ServeContext } from '../../service.js';
import type { Route } from '../route.js';
import { ruleOf } from '../../../model/query-log.js';
import { FLAGGED_SORTS, FLUX_KINDS, LIMITS, VERDICT_LABELS } from './openapi.js';
import { integer, oneOf, ParamError, text } from './params.js';

export function flaggedRoutes(context: ServeContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/flagged',
      role: 'read',
      handle: (request) => {
        const query = request.query;
        const verdict = oneOf(query, 'verdict', VERDICT_LABELS, null);
        const flux = oneOf(query, 'flux', FLUX_KINDS, null);
        const needle = text(query, 'q', 253)?.toLowerCase() ?? null;
        const network = text(query, 'network', 32);
        if (network !== null && !/^fn-\d{1,10}$/.test(network)) throw new ParamError('network', "not a network id ('fn-3')");
        const sort = oneOf(query, 'sort', FLAGGED_SORTS, 'score');
        const limit = integer(query, 'limit', LIMITS.flagged.fallback, 1, LIMITS.flagged.max);
        const offset = integer(query, 'offset', 0, 0, LIMITS.offset);
        const matches: Verdict[] = [];
        for (const v of context.flagged.entries()) {
          if (verdict !== null && v.verdict !== verdict) continue;
          if (flux !== null && v.flux !== flux) continue;
          if (network !== null && v.network !== network) continue;
          if (needle !== null && !v.domain.includes(needle)) continue;
          matches.push(v);
        }
        // Ties broken by name, so pages are stable between requests.
        matches.sort(
          sort === 'score'
            ? (a, b) => b.score - a.score || (a.domain < b.domain ? -1 : 1)
            : (a, b) => (a.last_seen === b.last_seen ? (a.domain < b.domain ? -1 : 1) : a.last_seen < b.last_seen ? 1 : -1),
        );
        return { status: 200, body: { total: matches.length, offset, limit, items: matches.slice(offset, offset + limit).map(flaggedItem) } };
      },
    },
  ];
}

export function flaggedItem(v: Verdict): Record<string, unknown> {
  return {
    domain: v.domain,
    registered_domain: v.registered_domain,
    verdict: v.verdict,
    flux: v.flux,
    score: v.score,
    reasons: v.reasons,
    first_seen: v.first_seen,
    last_seen: v.last_seen,
    network: v.network,
    zone: v.zone ?? null,
    rule: ruleOf(v).rule,
  };
}
