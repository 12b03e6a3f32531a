/**
 * What a partition's worker needs to build the same Detector as the main
 * thread would: loaded tables (the enricher's ranges, the reference lists)
 * cannot cross a thread, so each worker loads them again from the same
 * paths. A recipe is plain data (structured-cloneable).
 */
import type { Config } from '../../config/schema.js';
import { createEnricher } from '../../enrich/index.js';
import type { Enricher } from '../../enrich/enricher.js';
import { loadInfra, type Infra } from '../../enrich/infra/index.js';
import { intelFeedsOf } from '../../intel/feeds/spec.js';
import { withWarninglistFiles } from '../../intel/warninglist/index.js';
import { isRegistrable } from '../registered-domain.js';

export interface DetectorRecipe {
  config: Config;
  /** --asn-mmdb / --country-mmdb; absent: the bundled tables. */
  asnMmdb?: string;
  countryMmdb?: string;
  /** Load data/reference (CDN, cloud, pools, dynamic DNS, top sites). */
  reference: boolean;
  /** --intel specs: only their warninglist feeds are used here (they extend the reference lists). */
  intelSpecs: string[];
  baseline: 'holz' | null;
  /** Final verdicts for benign domains too. */
  reportBenign: boolean;
}

/** The enricher and infra a recipe names, loaded in this thread. */
export async function cookRecipe(recipe: DetectorRecipe): Promise<{ enricher: Enricher; infra: Infra | null }> {
  const enricher = await createEnricher({ asnMmdb: recipe.asnMmdb, countryMmdb: recipe.countryMmdb });
  const feeds = intelFeedsOf(recipe.config.intel.feeds, recipe.intelSpecs);
  const infra = withWarninglistFiles(recipe.reference ? loadInfra() : null, { ...recipe.config.intel, feeds }, { isRegistrable });
  return { enricher, infra };
}
