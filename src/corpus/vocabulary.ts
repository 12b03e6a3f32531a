/**
 * The words names are made of. Benign names read like real small businesses
 * and services under common suffixes, including multi-label public suffixes
 * (co.uk, com.au) so a registered-domain split is exercised; flux names look
 * like the throwaway registrations flux operators use.
 */
import type { Prng } from './prng.js';
import { WeightedIndex } from './prng.js';

const WORDS: readonly string[] = (
  'alpine amber anchor apex apple arrow atlas aurora autumn bakery bay beacon bear berry birch bistro ' +
  'blue bolt book bright brook build cable cafe camp canal candle canyon capital card cargo castle cedar ' +
  'central chain chef cherry city civic clear cliff cloud coast cobalt code coffee comet copper coral ' +
  'corner cosmo craft crane creek crest crown crystal cube daily dale data dawn delta dental desert ' +
  'design digital direct dock dragon dream drive eagle earth east echo edge elm ember energy engine ' +
  'estate event express fabric falcon farm fern ferry field fire first fleet flower focus forest forge ' +
  'fox fresh frontier fusion garden gate gem giant glass global gold golden granite graph green grid ' +
  'grove guide harbor harvest haven hawk health heart helix heritage hill hive home horizon hotel hub ' +
  'icon idea indigo insight iron island ivy jade journal jungle key kinetic kitchen lake lantern laser ' +
  'leaf legacy level light lime linear link lion local logic lotus lucky lunar magnet maple marble ' +
  'market meadow media medical metro micro mill mint mission modern moon motion mountain music native ' +
  'nature net nexus noble north nova oak ocean office olive omega open orbit orchid origin pacific ' +
  'panda paper park partner path peak pearl pepper photo pilot pine pixel planet plaza point polar ' +
  'port prime pulse quantum quest radio rain ranch rapid raven real red reef river road rock rocket ' +
  'royal ruby rural safe sage sail salt sand school scout sea secure shore signal silver simple sky ' +
  'smart snow solar solid sound south spark sphere spring square star stone storm studio summit sun ' +
  'swift table team tech terra thunder tiger timber total tower town trade trail travel tree tribe ' +
  'true union unity urban valley vector velvet venture verde vista vital wave west wild willow wind ' +
  'wine winter wise wolf wood works yacht yellow zen zenith zone'
).split(' ');

/** Suffix and relative weight; co.uk, com.au, co.jp and com.br are multi-label public suffixes. */
const BENIGN_SUFFIXES: readonly (readonly [string, number])[] = [
  ['com', 45], ['net', 8], ['org', 8], ['de', 10], ['co.uk', 8], ['fr', 3], ['nl', 3], ['io', 3],
  ['com.au', 3], ['co.jp', 2], ['com.br', 3], ['it', 2], ['es', 2],
];

const FLUX_SUFFIXES: readonly (readonly [string, number])[] = [
  ['ru', 10], ['su', 4], ['top', 10], ['xyz', 8], ['info', 6], ['biz', 4], ['cn', 4], ['pw', 3],
  ['online', 3], ['site', 3], ['com', 6], ['net', 3], ['com.ua', 2], ['co.in', 2],
];

/** Host labels of benign names under a registered domain; '' is the domain itself. */
export const BENIGN_HOSTS: readonly string[] = [
  'www', '', 'mail', 'api', 'smtp', 'app', 'shop', 'blog', 'login', 'portal', 'news', 'm', 'img',
  'vpn', 'autodiscover', 'webmail', 'docs', 'status', 'support', 'git', 'cdn-origin', 'static',
];

const FLUX_HOSTS: readonly string[] = ['', 'www', 'secure', 'login', 'update', 'my', 'account', 'dl'];

const SYLLABLES: readonly string[] = (
  'ba be bi bo ka ke ki ko ra re ri ro ta te ti to la le li lo na ne ni no va ve vi vo za ze zi zo ' +
  'mar tek lin dor fex qui vul zan kor mir sel tor xan yev'
).split(' ');

const benignSuffixIndex = new WeightedIndex(BENIGN_SUFFIXES.map(([, w]) => w));
const fluxSuffixIndex = new WeightedIndex(FLUX_SUFFIXES.map(([, w]) => w));

/** A plausible business domain: 'harborcoffee.de', 'blue-summit7.co.uk'. */
export function benignRegisteredDomain(rng: Prng): string {
  const suffix = (BENIGN_SUFFIXES[benignSuffixIndex.draw(rng)] as readonly [string, number])[0];
  const sep = rng.chance(0.3) ? '-' : '';
  const digits = rng.chance(0.15) ? String(rng.range(1, 99)) : '';
  return `${rng.pick(WORDS)}${sep}${rng.pick(WORDS)}${digits}.${suffix}`;
}

/** A throwaway-looking domain: 'korivalte.top', 'x7qmar-ka.ru'. */
export function fluxRegisteredDomain(rng: Prng): string {
  const suffix = (FLUX_SUFFIXES[fluxSuffixIndex.draw(rng)] as readonly [string, number])[0];
  let label = '';
  const syllables = rng.range(3, 5);
  for (let i = 0; i < syllables; i++) label += rng.pick(SYLLABLES);
  if (rng.chance(0.3)) label += String(rng.range(2, 999));
  return `${label}.${suffix}`;
}

/** One word of the benign vocabulary ('harbor', 'maple'). */
export function word(rng: Prng): string {
  return rng.pick(WORDS);
}

export function hostName(host: string, registeredDomain: string): string {
  return host === '' ? registeredDomain : `${host}.${registeredDomain}`;
}

/** 1..max distinct host labels for names under one benign domain, 'www' most often. */
export function benignHosts(rng: Prng, max: number): string[] {
  const count = rng.range(1, max);
  const hosts = new Set<string>();
  hosts.add(rng.chance(0.7) ? 'www' : rng.pick(BENIGN_HOSTS));
  while (hosts.size < count) hosts.add(rng.pick(BENIGN_HOSTS));
  return [...hosts];
}

export function fluxHosts(rng: Prng, max: number): string[] {
  const count = rng.range(1, max);
  const hosts = new Set<string>();
  while (hosts.size < count) hosts.add(rng.pick(FLUX_HOSTS));
  return [...hosts];
}

/** A short random lower-case alphanumeric token, e.g. CloudFront distribution ids. */
export function token(rng: Prng, length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}
