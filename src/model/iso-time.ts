/**
 * isoTime: seconds since the epoch as Date#toISOString writes them
 * (2026-06-17T09:30:00.250Z), '' where Date has no time (NaN, infinite,
 * beyond ±8.64e15 ms).
 *
 * A verdict carries a dozen of these (first and last seen, each evidence
 * address's last seen) and an analyze run writes tens of thousands of
 * verdicts; a Date object and its formatting per timestamp cost more than
 * the text. The calendar day's prefix ('2026-06-17T') is kept from the last
 * call, the time of day is written from digit tables into a scratch array,
 * and the string is made once, flat, of exactly the same characters.
 * Anything outside years 1970..9999 goes to Date itself (negative times
 * round differently, and far years have a sign and six digits).
 */

const MS_PER_DAY = 86_400_000;
/** 10000-01-01T00:00:00.000Z: the first time toISOString writes with six digits and a sign. */
const YEAR_10000 = 253_402_300_800_000;

/** The last day's number and its 11 character codes, 'YYYY-MM-DDT'. */
let cachedDay = -1;
const text = new Uint8Array(24);
// The fixed characters of 'HH:MM:SS.mmmZ' after the prefix.
text[13] = 58; // ':'
text[16] = 58;
text[19] = 46; // '.'
text[23] = 90; // 'Z'

export function isoTime(seconds: number): string {
  const ms = seconds * 1000;
  // Negative zero, NaN and far times fail or skip this test; Date then says exactly what it said before.
  if (!(ms > 0 && ms < YEAR_10000)) return dateText(ms);
  // new Date(x) truncates a fractional millisecond (TimeClip), toward zero: for x > 0 that is floor.
  const t = Math.floor(ms);
  const day = Math.floor(t / MS_PER_DAY);
  if (day !== cachedDay) {
    const prefix = new Date(day * MS_PER_DAY).toISOString();
    for (let i = 0; i < 11; i++) text[i] = prefix.charCodeAt(i);
    cachedDay = day;
  }
  let rest = t - day * MS_PER_DAY;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const secs = rest % 60;
  rest = (rest - secs) / 60;
  const mins = rest % 60;
  const hours = (rest - mins) / 60;
  two(11, hours);
  two(14, mins);
  two(17, secs);
  text[20] = 48 + ((millis / 100) | 0);
  text[21] = 48 + (((millis / 10) | 0) % 10);
  text[22] = 48 + (millis % 10);
  const c = text;
  // One call with fixed arguments: a flat string, no intermediate ones.
  return String.fromCharCode(
    c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!, c[11]!,
    c[12]!, c[13]!, c[14]!, c[15]!, c[16]!, c[17]!, c[18]!, c[19]!, c[20]!, c[21]!, c[22]!, c[23]!,
  );
}

function two(at: number, n: number): void {
  text[at] = 48 + ((n / 10) | 0);
  text[at + 1] = 48 + (n % 10);
}

/** What isoTime always gave: Date's own text, '' for an invalid time. */
export function dateText(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
