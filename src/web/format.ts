/** How numbers and times read in the console: UTC, ISO-like, compact. */

/** '2026-12-05 11:40:02Z' from epoch seconds or an ISO string; '' when missing. */
export function time(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** 'HH:MM' (UTC) for chart axes; with the date when the span is over a day. */
export function tick(seconds: number, withDate: boolean): string {
  const iso = new Date(seconds * 1000).toISOString();
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  return n.toLocaleString('en');
}

export function duration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** A datetime-local input's value (read as UTC) → epoch seconds, or '' when empty. */
export function fromLocalInput(value: string): string {
  if (value === '') return '';
  const ms = Date.parse(`${value}Z`);
  return Number.isNaN(ms) ? '' : String(Math.floor(ms / 1000));
}

/** Epoch seconds → a datetime-local input's value (UTC). */
export function toLocalInput(seconds: string | null): string {
  if (seconds === null || seconds === '') return '';
  const n = Number(seconds);
  if (!Number.isFinite(n)) return '';
  return new Date(n * 1000).toISOString().slice(0, 16);
}
