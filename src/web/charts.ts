/**
 * Time-series charts drawn as SVG by hand: one polyline per series over a
 * shared time axis, a few ticks, and a legend. The viewBox scales with the
 * page, so one drawing serves a laptop and a phone; colours come from the
 * stylesheet (classes series-0, series-1, ...), never inline style.
 */
import { h, s } from './h.js';
import { count, tick } from './format.js';

export interface Series {
  label: string;
  values: readonly number[];
}

const W = 640;
const H = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

/** The smallest "nice" number (1, 2, 5 × 10^k) at or above `x`. */
export function niceCeil(x: number): number {
  if (x <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/** A line chart of `series` over `times` (epoch seconds, ascending). */
export function lineChart(title: string, times: readonly number[], series: readonly Series[]): HTMLElement {
  const max = niceCeil(Math.max(0, ...series.flatMap((x) => x.values)));
  const t0 = times[0] ?? 0;
  const t1 = times[times.length - 1] ?? t0 + 1;
  const span = Math.max(1, t1 - t0);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + ((t - t0) / span) * innerW;
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;

  const grid = [0, 0.5, 1].map((f) =>
    s('g', { class: 'grid' }, s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(max * f), y2: y(max * f) }), s('text', { x: PAD.left - 6, y: y(max * f) + 4, 'text-anchor': 'end' }, count(max * f))),
  );
  const withDate = span > 86_400;
  const tickCount = Math.min(5, times.length);
  const ticks = Array.from({ length: tickCount }, (_, k) => {
    const t = tickCount === 1 ? t0 : t0 + (span * k) / (tickCount - 1);
    return s('text', { class: 'tick', x: x(t), y: H - 8, 'text-anchor': k === 0 ? 'start' : k === tickCount - 1 ? 'end' : 'middle' }, tick(t, withDate));
  });
  const lines = series.map((line, i) => {
    const points = line.values.map((v, k) => `${x(times[k] ?? t0).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const dots =
      times.length <= 60
        ? line.values.map((v, k) => s('circle', { cx: x(times[k] ?? t0), cy: y(v), r: 2.5 }, s('title', null, `${line.label} ${tick(times[k] ?? t0, withDate)}: ${count(v)}`)))
        : [];
    return s('g', { class: `series series-${i}` }, s('polyline', { points }), dots);
  });
  const summary = series.map((line) => `${line.label}: ${count(line.values.reduce((a, b) => a + b, 0))}`).join(', ');
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', null, title),
    s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}. Totals: ${summary}` }, grid, ticks, lines),
    h(
      'ul',
      { class: 'legend' },
      series.map((line, i) => h('li', { class: `series-${i}` }, h('span', { class: 'swatch' }), `${line.label} (${count(line.values.reduce((a, b) => a + b, 0))})`)),
    ),
  );
}

/** Horizontal bars: one per item (a verdict's contributions), labels on the left. */
export function barChart(title: string, items: readonly { label: string; value: number }[]): HTMLElement {
  // Narrower than the line charts: its labels stay readable when a phone scales it down.
  const width0 = 440;
  const rowH = 22;
  const labelW = 150;
  const height = items.length * rowH + 8;
  const max = Math.max(1, ...items.map((i) => Math.abs(i.value)));
  const bars = items.map((item, k) => {
    const width = (Math.abs(item.value) / max) * (width0 - labelW - 50);
    const yy = 4 + k * rowH;
    return s(
      'g',
      { class: item.value < 0 ? 'bar negative' : 'bar' },
      s('text', { x: labelW - 6, y: yy + 15, 'text-anchor': 'end' }, item.label),
      s('rect', { x: labelW, y: yy + 3, width: Math.max(1, width), height: rowH - 6 }),
      s('text', { x: labelW + width + 6, y: yy + 15 }, item.value.toFixed(1)),
    );
  });
  return h('figure', { class: 'chart bars' }, h('figcaption', null, title), s('svg', { viewBox: `0 0 ${width0} ${height}`, role: 'img', 'aria-label': title }, bars));
}
