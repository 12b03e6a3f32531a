/** The scheduled reports' metrics, in the daemon's registry (declared once per registry). */
import { Counter, Gauge } from 'prom-client';
import { oncePerRegistry } from '../scraped.js';

export interface ReportsMetrics {
  written: Counter<'format'>;
  failures: Counter;
  lastRun: Gauge;
}

export const reportsMetrics = oncePerRegistry((registry): ReportsMetrics => {
  const registers = [registry];
  return {
    written: new Counter({ name: 'fluxhound_reports_written_total', help: 'Scheduled transparency report files written, per format.', labelNames: ['format'], registers }),
    failures: new Counter({
      name: 'fluxhound_reports_failures_total',
      help: 'Scheduled customer reports that failed (store unreadable, folder not writable); the period is tried again on the next run.',
      registers,
    }),
    lastRun: new Gauge({ name: 'fluxhound_reports_last_run_timestamp_seconds', help: 'When the last scheduled run ended (seconds since the epoch); 0 before the first.', registers }),
  };
});
