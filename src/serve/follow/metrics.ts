/** The follow service's metrics, per followed file, in the daemon's registry. */
import { Counter, type Registry } from 'prom-client';

export interface FollowMetrics {
  bytes: Counter<'file'>;
  reopened: Counter<'file'>;
  unknownFormat: Counter<'file'>;
}

export function followMetrics(registry: Registry): FollowMetrics {
  return {
    bytes: new Counter({ name: 'fluxhound_follow_bytes_total', help: 'Bytes read from each followed file.', labelNames: ['file'], registers: [registry] }),
    reopened: new Counter({
      name: 'fluxhound_follow_reopened_total',
      help: 'Times a followed file was rotated or truncated and read again from its start.',
      labelNames: ['file'],
      registers: [registry],
    }),
    unknownFormat: new Counter({
      name: 'fluxhound_follow_unknown_format_total',
      help: 'Times the start of a followed file matched no input format (its data is passed over; use --follow-format).',
      labelNames: ['file'],
      registers: [registry],
    }),
  };
}
