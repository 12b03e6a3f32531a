/** The TAXII service's metrics, in the daemon's registry (declared once per registry). */
import { Counter } from 'prom-client';
import { oncePerRegistry } from '../scraped.js';

export interface TaxiiMetrics {
  requests: Counter<'resource' | 'status'>;
  inboxObjects: Counter<'outcome'>;
}

export const taxiiMetrics = oncePerRegistry((registry): TaxiiMetrics => ({
  requests: new Counter({
    name: 'fluxhound_taxii_requests_total',
    help: 'TAXII requests answered, by resource (discovery, api-root, collections, collection, objects, object, manifest, versions, status, other) and HTTP status.',
    labelNames: ['resource', 'status'],
    registers: [registry],
  }),
  inboxObjects: new Counter({
    name: 'fluxhound_taxii_inbox_objects_total',
    help: 'Objects partners POSTed to the TAXII inbox, by outcome (accepted, failed; dropped: kept ones that went for a poster\'s maxObjects or byte cap).',
    labelNames: ['outcome'],
    registers: [registry],
  }),
}));
