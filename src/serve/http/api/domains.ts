/**
 * GET /api/v1/domains/{name}: everything known about one name: whether it
 * is blocked and by which flagged domain, the operator lists, the verdict
 * (the detector's live one, else the latest stored), its verdict history
 * and its passive DNS. A name a threat-intelligence feed lists (itself or an
 * ancestor, in the flagged set or only in the loaded feeds) shows the
 * feed's listing as its verdict when the detector has nothing stronger, so
 * the feed and entry (Verdict.intel) are in the view; a listing under a log
 * feed is not `blocked`.
 */
import { liveAllowlist } from '../../../act/rpz/allowlist.js';
import { intelListingVerdict, isIntelListing } from '../../../detect/intel-verdict.js';
import type { Verdict } from '../../../model/verdict.js';
import type { AsyncStore, PdnsTuple } from '../../../store/store.js';
import { listingOf } from '../../dns/intel.js';
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
      handle: async (request) => {
        const name = domainName(request.params.name ?? '', 'name');
        const store = context.reader ?? null;
        let blocker = context.flagged.match(name);
        const denylisted = covering(context.lists?.entries('deny') ?? [], name);
        const allowlisted = liveAllowlist(context.config).allowlist.isAllowed(name);
        // Reads go out together: with a cluster each is an HTTP request.
        const [recorded, passiveDns, sighting] = store === null ? [[], [], null] : await Promise.all([store.history(name), passiveDnsOf(store, name), store.domain(name)]);
        const listing = listingFor(context, name, blocker, allowlisted);
        // A log feed's listing is answered normally: it blocks nothing.
        if (blocker !== null && isIntelListing(blocker) && blocker.intel![0]!.action === 'log') blocker = null;
        if (blocker === null && listing !== null && listing.intel![0]!.action === 'block' && !allowlisted) blocker = listing;
        // With worker threads the live verdict is its partition's answer (a message); one Detector answers at once.
        let verdict: Verdict | null = context.detector.live !== undefined ? await context.detector.live(name) : context.detector.current(name);
        if (listing !== null && (verdict === null || verdict.verdict === 'benign')) verdict = listing;
        if (verdict === null && blocker?.domain === name) verdict = blocker;
        if (verdict === null && recorded.length > 0) verdict = recorded[recorded.length - 1]!.verdict;
        const history = recorded.slice(-HISTORY_POINTS).map((r) => ({ ts: r.ts, verdict: r.verdict.verdict, flux: r.verdict.flux, score: r.verdict.score }));
        const known = verdict !== null || blocker !== null || denylisted !== null || allowlisted || passiveDns.length > 0 || sighting !== null;
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

/**
 * The feed listing covering `name`, as the verdict the forwarder makes of it
 * (its reason naming this name): the one in the flagged set, else the loaded
 * feeds' (not for an allowlisted name: the feeds never block one); null when
 * no feed lists it.
 */
function listingFor(context: ServeContext, name: string, blocker: Verdict | null, allowlisted: boolean): Verdict | null {
  const own = blocker !== null && isIntelListing(blocker) ? blocker.intel![0]! : null;
  if (own !== null) return intelListingVerdict(name, own, Date.parse(blocker!.first_seen) / 1000);
  if (blocker !== null || allowlisted) return null;
  const hit = context.intel?.current()?.matchDomain(name) ?? null;
  return hit === null ? null : intelListingVerdict(name, listingOf(hit, 'domain'), Date.now() / 1000);
}

/** The name's tuples, oldest sighting first. */
function passiveDnsOf(store: AsyncStore, name: string): Promise<PdnsTuple[]> {
  return store.tuplesOf(name, PDNS_TUPLES);
}
