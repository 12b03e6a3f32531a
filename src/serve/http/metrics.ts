/** The HTTP listener's metrics, in the daemon's registry (declared once per registry). */
import { Counter, Histogram } from 'prom-client';
import { oncePerRegistry } from '../scraped.js';

export interface HttpMetrics {
  /** fluxhound_http_requests_total{route,status}. */
  requests: Counter<'route' | 'status'>;
  /** fluxhound_http_request_duration_seconds{route}. */
  duration: Histogram<'route'>;
}

/**
 * `route` is the API route's pattern ('/api/v1/domains/{name}'), '/metrics',
 * '/health', 'console' (static files), 'api' (no route under /api/) or
 * 'other': a bounded set whatever the paths requested.
 */
export const httpMetrics = oncePerRegistry(
  (registry): HttpMetrics => ({
    requests: new Counter({
      name: 'fluxhound_http_requests_total',
      help: 'Requests answered on --http, by route and status.',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'fluxhound_http_request_duration_seconds',
      help: 'Seconds from a request header to the end of its response on --http, by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2, 10],
      registers: [registry],
    }),
  }),
);
