/** The HTTP endpoint's metrics, in the daemon's registry (declared once per registry). */
import { Counter } from 'prom-client';
import { oncePerRegistry } from '../scraped.js';

/** fluxhound_http_requests_total. */
export const httpRequests = oncePerRegistry(
  (registry) => new Counter({ name: 'fluxhound_http_requests_total', help: 'Requests to /metrics, /health and anything else on --http.', registers: [registry] }),
);
