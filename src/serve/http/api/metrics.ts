/** The JSON API's metrics, in the daemon's registry (declared once per registry). */
import { Counter } from 'prom-client';
import { oncePerRegistry } from '../../scraped.js';

export const apiMetrics = oncePerRegistry((registry) => ({
  /** fluxhound_api_requests_total{route,status}: route is the documented path pattern, so the label set is bounded. */
  requests: new Counter({
    name: 'fluxhound_api_requests_total',
    help: 'API requests answered by a route, by its path pattern and status.',
    labelNames: ['route', 'status'],
    registers: [registry],
  }),
  /** fluxhound_api_refused_total{parameter}: requests refused with 400, by the parameter (or body field) at fault. */
  refused: new Counter({
    name: 'fluxhound_api_refused_total',
    help: 'API requests refused as invalid (400), by the parameter or body field at fault.',
    labelNames: ['parameter'],
    registers: [registry],
  }),
}));
