/**
 * The long horizon: evidence over one day and a name's lifetime, kept as
 * peaks and counters (no lists). Slow flux is a name looked up a few times
 * over hours or days, each answer one or two addresses, nearly every answer
 * new, a low TTL, spread over many networks and countries. Its look-alikes
 * each miss one tell: dynamic DNS renumbers within one ISP, the NTP pool and
 * mirrors answer several addresses at once, CDNs and clouds are known.
 */
import { plural, round, type FeatureFamily } from './family.js';

export const slowFlux: FeatureFamily = {
  name: 'slow-flux',
  weights: ['slow_flux'],
  measure(state, ctx, out) {
    const span = state.lastSeen - state.firstSeen;
    out.answers_new = state.answersNew;
    out.answer_size_max = state.answerSizeMax;
    out.span_hours = round(span / 3600, 1);
    out.ips_day = state.dayAddressesPeak;
    out.asns_day = state.dayAsnsPeak;
    out.countries_day = state.dayCountriesPeak;
    const c = ctx.config.slowFlux;
    const slow =
      state.ttlSamples > 0 &&
      state.ttlMin <= c.maxTtl &&
      state.answerSizeMax > 0 &&
      state.answerSizeMax <= c.maxAnswerSize &&
      state.answersNew >= c.minNewAnswers &&
      state.answersNew >= c.minNewShare * state.answers &&
      state.dayAsnsPeak >= c.minAsns &&
      state.dayCountriesPeak >= c.minCountries &&
      span >= c.minSpan;
    out.slow_flux = slow ? 1 : 0;
  },
  explain(f) {
    const hours = f.span_hours >= 48 ? plural(Math.round(f.span_hours / 24), 'day') : `${Math.round(f.span_hours)} h`;
    return (
      `slow flux: ${plural(f.ips, 'IP')} in ${plural(f.asns, 'ASN')} across ${plural(f.countries, 'country', 'countries')} over ${hours},` +
      ` ${f.answers_new} of ${plural(f.answers, 'answer')} new, TTL ${f.ttl_min ?? '?'}`
    );
  },
};
