/** Zeek's text forms of times and intervals, without toFixed on the hot path. */

/** Seconds with six decimals, as Zeek logs `time` and `interval` values: '1743638400.123456'. */
export function zeekSeconds(seconds: number): string {
  const micros = Math.round(seconds * 1e6);
  const whole = Math.floor(micros / 1e6);
  const frac = micros - whole * 1e6;
  return `${whole}.${frac < 100000 ? String(frac).padStart(6, '0') : frac}`;
}

/** The '#open'/'#close' header form, in UTC: '2025-04-03-00-00-00'. */
export function zeekHeaderTime(seconds: number): string {
  const d = new Date(Math.floor(seconds) * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-${two(d.getUTCHours())}-${two(d.getUTCMinutes())}-${two(d.getUTCSeconds())}`;
}
