/**
 * Defect 16 of issue 12: a restart on the same store re-emitted flag events
 * (NDJSON on stdout) for verdicts restored from the store, with different
 * evidence, so a SIEM counted every alert twice. The daemon follows the
 * bundled example with --store, stops, and starts again on the same store
 * and the same log (a followed file is read again from its start).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { serviceFactories } from '../src/serve/registry.js';
import { Daemon } from '../src/serve/daemon.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { waitFor } from './support/daemon.js';

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Event {
  domain: string;
  verdict: string;
}

/** Runs the daemon over the whole example (follow + store) and returns the flag events it printed, and the daemon. */
async function runOnce(store: string): Promise<{ events: Event[]; daemon: Daemon }> {
  let printed = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      printed += chunk.toString();
      done();
    },
  });
  const daemon = new Daemon({
    config: defaultConfig(),
    enricher: octetEnricher,
    infra: null,
    log: pino({ level: 'silent' }),
    out,
    factories: serviceFactories.filter((f) => f.name === 'store' || f.name === 'follow'),
    flags: { store, follow: [EXAMPLE], followInterval: '50' },
  });
  await daemon.start();
  const size = statSync(EXAMPLE).size;
  // Decoding is synchronous with each read: once every byte is read, every record has been observed.
  await waitFor('the whole example read', async () => new RegExp(`fluxhound_follow_bytes_total\\{[^}]*\\} ${size}\\b`).test(await daemon.metrics()), 60_000, 50);
  await daemon.stop();
  const events = printed
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event);
  return { events, daemon };
}

describe('a restart on the same store (issue 12, defect 16)', () => {
  it('raises no flag event again for a verdict restored from the store', async () => {
    const store = join(dir, 'state.db');
    const first = await runOnce(store);
    const flagged = new Set(first.events.map((e) => e.domain));
    expect(flagged.size).toBeGreaterThanOrEqual(5);

    const second = await runOnce(store);
    expect(second.events.filter((e) => flagged.has(e.domain))).toEqual([]);
    expect(second.events).toEqual([]);
    // The same input crossed the same thresholds again (restoredFlags counts them): none went out as a new event.
    expect(second.daemon.context.detector.stats.restoredFlags).toBeGreaterThanOrEqual(flagged.size);
    // The restored verdicts still block.
    for (const domain of flagged) expect(second.daemon.context.flagged.match(domain), domain).not.toBeNull();
  }, 120_000);
});
