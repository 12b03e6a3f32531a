/** The block page's metrics, in the daemon's registry (declared once per registry). */
import { Counter } from 'prom-client';
import { oncePerRegistry } from '../scraped.js';

export interface BlockPageMetrics {
  requests: Counter;
  blocked: Counter;
  neutral: Counter;
  rejected: Counter;
}

export const blockPageMetrics = oncePerRegistry((registry): BlockPageMetrics => {
  const registers = [registry];
  return {
    requests: new Counter({ name: 'fluxhound_block_page_requests_total', help: 'Requests the block page answered (any status).', registers }),
    blocked: new Counter({ name: 'fluxhound_block_page_blocked_total', help: 'Block pages shown: the Host named a flagged domain.', registers }),
    neutral: new Counter({ name: 'fluxhound_block_page_neutral_total', help: 'Neutral 404 pages: the Host was not flagged, an address or junk.', registers }),
    rejected: new Counter({ name: 'fluxhound_block_page_rejected_total', help: 'Requests refused: a method other than GET/HEAD, a body, or a request the HTTP parser rejected.', registers }),
  };
});
