/** The HTTP endpoint's metrics, in the daemon's registry (declared once per registry). */
import { Counter, type Registry } from 'prom-client';

const declared = new WeakMap<Registry, Counter>();

/** fluxhound_http_requests_total. */
export function httpRequests(registry: Registry): Counter {
  let counter = declared.get(registry);
  if (counter === undefined) {
    counter = new Counter({ name: 'fluxhound_http_requests_total', help: 'Requests to /metrics, /health and anything else on --http.', registers: [registry] });
    declared.set(registry, counter);
  }
  return counter;
}
