/**
 * The end-of-input check reuses a domain's last quick score (FluxState.scoreMemo,
 * Detector.finalScore) instead of measuring it again. These tests run real
 * inputs (the bundled example, a generated Zeek log and a generated capture
 * with single and double flux) through a detector that scores every reused
 * memo afresh and throws on a difference, and compare its verdicts with a
 * plain detector's; and they show that a memo is not reused once the
 * domain's addresses joined a flux network after its last lookup.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { Detector } from '../src/detect/detector.js';
import type { Enricher } from '../src/enrich/enricher.js';
import { createEnricher } from '../src/enrich/index.js';
import { loadInfra, type Infra } from '../src/enrich/infra/index.js';
import type { DnsObservation } from '../src/model/observation.js';
import type { Verdict } from '../src/model/verdict.js';
import { readInputs } from '../src/sources/input.js';
import { sourceFormats } from '../src/sources/registry.js';
import { ensureDataset, throughputSpec } from '../bench/dataset.js';
import { writeCapture } from '../bench/pcap-capture.js';
import { createFlowAnalysis } from '../src/detect/flows/index.js';
import { flowRecord, keptFindings } from './helpers/flows.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { aResponse, bot, rr, T0 } from './helpers/observations.js';
import { ROOT } from './support/cli.js';

let enricher: Enricher;
let infra: Infra;
let dir: string;
beforeAll(async () => {
  enricher = await createEnricher({});
  infra = loadInfra();
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-memo-'));
});

/**
 * Final verdicts of one detector over file: checked (every reused memo
 * scored again) or plain. With `flows`, the real flow analysis is its flow
 * evidence, as in analyze (empty: the input holds no flow; fed: one flow to
 * a bot was absorbed first).
 */
async function finals(file: string, checked: boolean, flows: 'none' | 'empty' | 'fed' = 'empty'): Promise<{ verdicts: Verdict[]; checks: number }> {
  const verdicts: Verdict[] = [];
  const config = defaultConfig();
  const analysis = flows === 'none' ? null : createFlowAnalysis({ config, findings: keptFindings() });
  if (flows === 'fed') analysis!.flow(flowRecord(T0, '10.0.0.9', bot(7)));
  const detector = new Detector({ config, enricher, infra, flows: analysis, onFinal: (v) => verdicts.push(v), checkScoreMemo: checked });
  await readInputs([file], {
    format: 'auto',
    formats: sourceFormats,
    sink: { observe: (o) => detector.observe(o), skip: () => {} },
  });
  detector.flush();
  return { verdicts, checks: detector.scoreMemoChecks };
}

describe('the end-of-input score memo', () => {
  // Each with the fewest memos it reuses (its benign domains that rotate, last scored at their last lookup).
  const inputs: Array<[string, () => Promise<string>, number]> = [
    ['the bundled example', async () => join(ROOT, 'examples', 'example.dns.log'), 1],
    ['a generated Zeek log', async () => (await ensureDataset(dir, 'memo', throughputSpec(7, 60_000))).path, 1000],
    ['a generated capture', async () => writeCapture(join(dir, 'memo.pcap'), { responses: 60_000, seed: 5 }).path, 1000],
  ];
  for (const [what, make, reused] of inputs) {
    it(`equals a fresh score wherever it is reused: ${what}`, async () => {
      const file = await make();
      const checked = await finals(file, true);
      const plain = await finals(file, false);
      // Without a flow analysis at all, the same memos are reused.
      expect((await finals(file, true, 'none')).checks).toBe(checked.checks);
      // The check ran (throwing on the first difference) on many domains, and flagged ones were reported.
      expect(checked.checks).toBeGreaterThanOrEqual(reused);
      expect(plain.verdicts.length).toBeGreaterThan(0);
      expect(plain.checks).toBe(0);
      expect(plain.verdicts).toEqual(checked.verdicts);
    }, 120_000);
  }

  it('is not reused once the flow analysis holds a flow (flow evidence may change a score)', async () => {
    const fed = await finals(join(ROOT, 'examples', 'example.dns.log'), true, 'fed');
    expect(fed.checks).toBe(0);
    expect(fed.verdicts).toEqual((await finals(join(ROOT, 'examples', 'example.dns.log'), false, 'fed')).verdicts);
  });

  /**
   * A benign name scored at its last lookup (one network, long TTLs: a memo
   * kept), then fast-flux names rotating through the given addresses: at the
   * end they are flux-network addresses. Returns the final verdicts.
   */
  function laterJoined(shopLookups: (observe: (o: DnsObservation) => void) => void, shared: string[]): Verdict[] {
    const verdicts: Verdict[] = [];
    const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, onFinal: (v) => verdicts.push(v) });
    shopLookups((o) => detector.observe(o));
    for (const [i, name] of ['login.evil-bank.com', 'pay.evil-shop.net'].entries())
      for (let lookup = 0; lookup < 12; lookup++) {
        const answer = [0, 1, 2, 3].map((k) => bot(i * 60 + lookup * 4 + k));
        if (lookup < shared.length) answer.push(shared[lookup]!);
        detector.observe(aResponse(T0 + 600 + i * 100 + lookup * 300, name, answer, 120, { client: `10.0.0.${i + 1}` }));
      }
    detector.flush();
    expect(verdicts.find((v) => v.domain === 'login.evil-bank.com')?.verdict).toBe('fast-flux');
    return verdicts;
  }

  it('is not reused once the name’s own addresses joined a flux network after its last lookup', () => {
    const own = ['11.1.1.1', '11.1.1.2', '11.1.1.3'];
    const verdicts = laterJoined((observe) => {
      observe(aResponse(T0, 'www.shop-example.com', own.slice(0, 2), 3600));
      observe(aResponse(T0 + 60, 'www.shop-example.com', own.slice(2), 3600));
    }, own);
    // Scored afresh: its three addresses in the network count (a reused memo would leave it benign, unreported).
    const shop = verdicts.find((v) => v.domain === 'www.shop-example.com');
    expect(shop?.features.network_addresses).toBe(3);
    expect(shop?.verdict).toBe('fast-flux');
  });

  it('is not reused once the name’s name-server addresses joined a flux network after its last lookup', () => {
    const glue = ['11.1.1.1', '11.1.1.2', '11.1.1.3'];
    const verdicts = laterJoined((observe) => {
      for (let k = 0; k < glue.length; k++)
        observe(
          aResponse(T0 + k * 60, 'www.shop-example.com', ['11.2.2.2'], 3600, {
            authority: [rr('shop-example.com', 'NS', 'ns1.shop-example.com', 3600)],
            additional: [rr('ns1.shop-example.com', 'A', glue[k]!, 3600)],
          }),
        );
    }, glue);
    const shop = verdicts.find((v) => v.domain === 'www.shop-example.com');
    expect(shop?.features.ns_network_addresses).toBe(3);
    expect(shop?.verdict).toBe('fast-flux');
  });
});
