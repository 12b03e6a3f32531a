/**
 * The governor's metrics, in the daemon's one registry: every refusal by
 * listener and reason, open connections per listener, back-pressure pauses,
 * the connection budget, and the log lines the rate limiter held back.
 * Declared once per registry (several listeners share them).
 */
import { Counter, Gauge } from 'prom-client';
import { oncePerRegistry } from '../scraped.js';

export interface NetMetrics {
  refused: Counter<'listener' | 'reason'>;
  open: Gauge<'listener'>;
  handshakes: Gauge<'listener'>;
  accepted: Counter<'listener'>;
  paused: Counter<'listener'>;
  budget: Gauge;
  logSuppressed: Counter<'service'>;
}

export const netMetrics = oncePerRegistry((registry): NetMetrics => {
  const registers = [registry];
  return {
    refused: new Counter({
      name: 'fluxhound_net_refused_total',
      help: 'Connections refused on accept or cut later by the connection governor, by listener and reason (acl, listener_cap, client_cap, fd_budget, first_byte_deadline, frame_deadline, idle, outbound_budget, displaced: cut to make room for a client holding fewer, stopping; TLS: handshake_cap, handshake_client_cap, handshake_rate, handshake_deadline; DNS over HTTPS: h2_reset_flood, h2_control_flood, h2_protocol, body_deadline, body_too_large).',
      labelNames: ['listener', 'reason'],
      registers,
    }),
    open: new Gauge({ name: 'fluxhound_net_connections_open', help: 'Connections open now, by listener.', labelNames: ['listener'], registers }),
    handshakes: new Gauge({ name: 'fluxhound_net_handshakes_pending', help: 'TLS handshakes in progress (accepted, not yet finished), by listener.', labelNames: ['listener'], registers }),
    accepted: new Counter({ name: 'fluxhound_net_connections_accepted_total', help: 'Connections admitted by the connection governor, by listener.', labelNames: ['listener'], registers }),
    paused: new Counter({
      name: 'fluxhound_net_backpressure_pauses_total',
      help: 'Times a connection stopped being read because its unread replies passed the per-connection byte budget, by listener.',
      labelNames: ['listener'],
      registers,
    }),
    budget: new Gauge({ name: 'fluxhound_net_connection_budget', help: 'Connections all listeners together may hold (from the file-descriptor limit or serve.net.maxConnections).', registers }),
    logSuppressed: new Counter({ name: 'fluxhound_log_suppressed_total', help: 'Log lines held back by the per-key log rate limit, by service.', labelNames: ['service'], registers }),
  };
});
