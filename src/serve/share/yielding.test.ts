/**
 * The daemon's rebuilds run in slices (serve/slices.ts runStepsYielding):
 * the same bytes as the synchronous builders `analyze` uses, with other
 * callbacks (a DNS answer, a timer) running between slices. Interleavings are
 * counted, not timed: slices of 0 ms yield after every step.
 */
import { describe, expect, it } from 'vitest';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { FlaggedDomains } from '../../act/flagged.js';
import { buildMispFeed } from '../../act/misp/feed.js';
import { buildStixBundle, stixText, stixTextParts } from '../../act/stix/bundle.js';
import { defaultConfig } from '../../config/schema.js';
import { runStepsYielding } from '../slices.js';
import { liveMispFeed, liveMispFeedSteps, liveStixBundle, liveStixBundleSteps, mispOptionsOf, stixOptionsOf, type LiveFindings } from './live.js';

const NAMES = 300;

function liveFindings(): LiveFindings {
  const flagged = new FlaggedDomains();
  for (let i = 0; i < NAMES; i++) {
    const network = (i % 3) + 1;
    const addresses = Array.from({ length: 4 }, (_, k) => `198.51.${100 + network}.${(i * 5 + k) % 250}`);
    const v = flaggedVerdict(`n${i}.flux${network}.example`, { addresses, lastSeen: `2025-04-03T0${i % 10}:00:00.000Z` });
    flagged.upsert({ ...v, network: `fn-${network}`, features: { ...v.features, network_id: network, network_size: 12, network_asns: 2 } });
  }
  return { flagged, networks: () => [] };
}

/** Runs `build` while a setImmediate callback counts how many times it ran before the build finished. */
async function interleaved<T>(build: Promise<T>): Promise<{ result: T; others: number }> {
  let finished = false;
  let others = 0;
  const other = (): void => {
    if (finished) return;
    others++;
    setImmediate(other);
  };
  setImmediate(other);
  const result = await build;
  finished = true;
  return { result, others };
}

describe('serve/share: rebuilds in slices', () => {
  const config = defaultConfig();

  it('the sliced STIX bundle has the bytes of the synchronous one, and other callbacks ran between its slices', async () => {
    const live = liveFindings();
    const { result, others } = await interleaved(runStepsYielding(liveStixBundleSteps(live, stixOptionsOf(config)), 0));
    const whole = liveStixBundle(live, stixOptionsOf(config));
    expect(result.bundle.objects.length).toBeGreaterThan(NAMES * 4);
    expect(stixText(result.bundle)).toBe(stixText(whole.bundle));
    // At least one step per shared name: the event loop turned at least that often during the build.
    expect(others).toBeGreaterThanOrEqual(NAMES);
  });

  it('the STIX text written an object at a time is stixText, for an empty bundle too', () => {
    const { bundle } = liveStixBundle(liveFindings(), stixOptionsOf(config));
    expect([...stixTextParts(bundle)].join('')).toBe(stixText(bundle));
    const empty = buildStixBundle([], [], stixOptionsOf(config));
    expect([...stixTextParts(empty)].join('')).toBe(stixText(empty));
  });

  it('the sliced MISP feed has the files of the synchronous one, and other callbacks ran between its slices', async () => {
    const live = liveFindings();
    const options = mispOptionsOf(config, null);
    const { result, others } = await interleaved(runStepsYielding(liveMispFeedSteps(live, options), 0));
    const whole = liveMispFeed(live, options);
    // Three network events, manifest.json, hashes.csv.
    expect(result.feed.files.length).toBe(5);
    expect(result.feed.files).toEqual(whole.feed.files);
    expect(result.feed.stats).toEqual(whole.feed.stats);
    // The event files are the JSON.stringify of their event (written in parts, the same bytes).
    for (const e of whole.feed.events) expect(result.feed.files.find((f) => f.name === `${e.uuid}.json`)!.text).toBe(`${JSON.stringify({ Event: e })}\n`);
    expect(buildMispFeed([], options).files).toEqual(liveMispFeed({ flagged: new FlaggedDomains(), networks: () => [] }, options).feed.files);
    expect(others).toBeGreaterThanOrEqual(NAMES);
  });
});
