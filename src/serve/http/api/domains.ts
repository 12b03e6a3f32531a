/**
 * GET /api/v1/domains/{name}: everything known about one name: whether it
 * is blocked and by which flagged domain, the operator lists, the verdict
 * (the detector's live one, else the latest stored), its verdict history
 * and its passive DNS.
 */
import { liveAllowlist } from '../../../act/rpz/allowlist.js';
import type { Verdict } from '../../../model/verdict.js';
import { pdnsByName } from '../../../store/sqlite/pdns-by-name.js';
import { SqliteStore } from '../../../store/sqlite/sqlite-store.js';
import type { PdnsTuple, Store } from '../../../store/store.js';
import { covering } from '../../lists/entry.js';
import type { ServeContext } from '../../service.js';
import { apiError, type Route } from '../route.js';
import { nowSeconds } from './common.js';
import { domainName } from './params.js';

/** History points shown (the newest). */
export const HISTORY_POINTS = 500;
/**
 * Passive DNS: at most PDNS_TUPLES tuples of the name. SQLite is read by the
 * table's key (a read-only connection of its own, pdnsByName); another
 * backend, through the Store interface, which has no per-name read: the
 * name's tuples among the newest PDNS_SCAN of the last PDNS_DAYS days.
 */
export const PDNS_SCAN = 20_000;
export const PDNS_DAYS = 30;
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
  if (store instanceof SqliteStore && store.path !== ':memory:') return pdnsByName(store.path, name, PDNS_TUPLES);
  const tuples = store.recentTuples(nowSeconds() - PDNS_DAYS * 86_400, PDNS_SCAN);
  const out: PdnsTuple[] = [];
  for (let i = tuples.length - 1; i >= 0 && out.length < PDNS_TUPLES; i--) if (tuples[i]!.name === name) out.push(tuples[i]!);
  return out.reverse();
}
