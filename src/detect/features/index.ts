/** The feature families, in the order their reasons are tie-broken. */
import { audience } from './audience.js';
import { churn } from './churn.js';
import { cnameFlux } from './cname-flux.js';
import type { FeatureFamily } from './family.js';
import { flowEvidence } from './flow-evidence.js';
import { fluxNetwork } from './flux-network.js';
import { geography } from './geography.js';
import { intel } from './intel.js';
import { ipDiversity } from './ip-diversity.js';
import { nonRoutable } from './non-routable.js';
import { nsFlux } from './ns-flux.js';
import { reputation } from './reputation.js';
import { slowFlux } from './slow-flux.js';
import { ttl } from './ttl.js';

export const featureFamilies: readonly FeatureFamily[] = [ipDiversity, geography, fluxNetwork, intel, slowFlux, nsFlux, ttl, churn, cnameFlux, reputation, nonRoutable, audience, flowEvidence];

export type { FeatureFamily, MeasureContext } from './family.js';
export { emptyFeatures, resetFeatures } from './family.js';
