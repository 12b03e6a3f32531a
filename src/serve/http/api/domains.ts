/**
 * GET /api/v1/domains/{name}: everything known about one name: whether it
 * is blocked and by which flagged domain, the operator lists, the verdict
 * (the detector's live one, else the latest stored), its verdict history
 * and its passive DNS.
 */
import { liveAllowlist } from '../../../act/rpz/allowlist.js';
import type { Verdict } from '../../../model/verdict.js';
import type { PdnsTuple, Store } from '../../../store/store.js';
import { covering } from '../../lists/entry.js';
import type { ServeContext } from '../../service.js';
import { apiError, type Route } from '../route.js';
import { domainName } from './params.js';

/** History points shown (the newest). */
export const HISTORY_POINTS = 500;
/** Passive DNS: at most this many tuples of the name (the most recently seen), read by the store's key. */
export const PDNS_TUPLES = 200;

export function domainRoutes(context: ServeContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/domains/{name}',
      role: 'read',
      handle: (request) => {
        const name = domainName(request.params.name ?? '', 'name');
        const store = context.store;
        const blocker = context.flagged.match(name);
        const denylisted = covering(context.lists?.entries('deny') ?? [], name);
        const allowlisted = liveAllowlist(context.config).allowlist.isAllowed(name);
        const recorded = store?.history(name) ?? [];
        let verdict: Verdict | null = context.detector.current(name);
        if (verdict === null && blocker?.domain === name) verdict = blocker;
        if (verdict === null && recorded.length > 0) verdict = recorded[recorded.length - 1]!.verdict;
        const history = recorded.slice(-HISTORY_POINTS).map((r) => ({ ts: r.ts, verdict: r.verdict.verdict, flux: r.verdict.flux, score: r.verdict.score }));
        const passiveDns = store === null ? [] : passiveDnsOf(store, name);
        const known = verdict !== null || blocker !== null || denylisted !== null || allowlisted || passiveDns.length > 0 || store?.domain(name) != null;
        if (!known) return apiError(404, 'nothing is known about this name');
        return {
          status: 200,
          body: {
            name,
            blocked: blocker !== null,
            blocked_by: blocker?.domain ?? null,
            allowlisted,
            denylisted,
            verdict,
            history,
            passive_dns: passiveDns,
          },
        };
      },
    },
  ];
}

/** The name's tuples, oldest sighting first. */
function passiveDnsOf(store: Store, name: string): PdnsTuple[] {
  return store.tuplesOf(name, PDNS_TUPLES);
}
