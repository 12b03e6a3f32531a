/** Overview: health, the headline counts and queries, blocks and flags over time. */
import { api, qs } from '../api.js';
import { lineChart } from '../charts.js';
import { count, duration } from '../format.js';
import { h } from '../h.js';
import { hashOf, type Route } from '../router.js';
import { badge, card, link, page } from '../ui.js';
import type { Overview, Stats } from '../types.js';

/** The time ranges offered, with the bucket step that keeps a chart near 60 points. */
export const RANGES: Record<string, { seconds: number; step: number; label: string }> = {
  '1h': { seconds: 3600, step: 60, label: 'last hour' },
  '6h': { seconds: 6 * 3600, step: 360, label: 'last 6 hours' },
  '24h': { seconds: 86_400, step: 1800, label: 'last 24 hours' },
  '7d': { seconds: 7 * 86_400, step: 3 * 3600, label: 'last 7 days' },
};

export function rangeOf(route: Route): string {
  const r = route.query.get('range') ?? '1h';
  return r in RANGES ? r : '1h';
}

/** The stats of a range, every bucket present (missing ones as zero) so the chart's time axis is even. */
export async function statsFor(range: string, customer?: string): Promise<Stats> {
  const { seconds, step } = RANGES[range]!;
  const until = Math.ceil(Date.now() / 1000 / step) * step;
  const since = until - seconds;
  const stats = await api<Stats>(`/api/v1/stats${qs({ since, until, step, customer })}`);
  return { step: stats.step, points: fill(stats, since, until) };
}

function fill(stats: Stats, since: number, until: number): Stats['points'] {
  const step = stats.step > 0 ? stats.step : 60;
  const byTs = new Map(stats.points.map((p) => [Math.floor(p.ts / step) * step, p]));
  const points: Stats['points'] = [];
  for (let t = Math.floor(since / step) * step; t < until; t += step) points.push(byTs.get(t) ?? { ts: t, queries: 0, blocked: 0, logged: 0, flagged: 0 });
  return points;
}

export function rangePicker(view: string, current: string): HTMLElement {
  return h(
    'nav',
    { class: 'ranges', 'aria-label': 'Time range' },
    Object.entries(RANGES).map(([key, r]) => h('a', { href: hashOf(view, { range: key }), 'aria-current': key === current ? 'true' : null, title: r.label }, key)),
  );
}

export function trafficCharts(stats: Stats): HTMLElement {
  const times = stats.points.map((p) => p.ts);
  return h(
    'div',
    { class: 'charts' },
    lineChart('Queries and blocks', times, [
      { label: 'queries', values: stats.points.map((p) => p.queries) },
      { label: 'blocked', values: stats.points.map((p) => p.blocked) },
      { label: 'logged', values: stats.points.map((p) => p.logged) },
    ]),
    lineChart('Names flagged', times, [{ label: 'flagged', values: stats.points.map((p) => p.flagged) }]),
  );
}

export async function overviewView(route: Route): Promise<HTMLElement> {
  const range = rangeOf(route);
  const [overview, stats] = await Promise.all([api<Overview>('/api/v1/overview'), statsFor(range)]);
  const healthy = overview.health.status === 'ok';
  return page(
    'Overview',
    h(
      'div',
      { class: 'cards' },
      card('Health', badge(healthy ? 'ok' : 'unhealthy', healthy ? 'ok' : 'bad'), healthy ? '' : 'card-bad'),
      card('Flagged domains', link('#/flagged', count(overview.flagged_domains))),
      card('Tracked domains', count(overview.tracked_domains)),
      card('Flux networks', link('#/networks', count(overview.networks))),
      card('Customers', link('#/customers', count(overview.customers))),
      card('Observations', count(overview.observations)),
      card('Uptime', duration(overview.uptime_seconds)),
    ),
    healthy ? null : h('ul', { class: 'health-reasons' }, overview.health.reasons.map((r) => h('li', null, r))),
    rangePicker('', range),
    trafficCharts(stats),
  );
}
