import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.js';
import { nullEnricher } from '../../enrich/index.js';
import { flowRecord } from '../../../test/helpers/flows.js';
import { sourceFormats } from '../../sources/registry.js';
import type { SourceFormat } from '../../sources/source.js';
import { Daemon } from '../daemon.js';
import { followService } from './index.js';

const EXAMPLE = readFileSync(join(import.meta.dirname, '../../../examples/example.dns.log'), 'utf8').split('\n');
const HEADER = EXAMPLE.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
const RECORDS = EXAMPLE.filter((l) => l.length > 0 && !l.startsWith('#'));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function daemonFollowing(file: string, extra: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  const daemon = new Daemon({
    config: defaultConfig(),
    enricher: nullEnricher,
    infra: null,
    log: pino({ level: 'silent' }),
    out,
    factories: [followService(() => sourceFormats)],
    flags: { follow: [file], followInterval: '20', ...extra },
  });
  return { daemon, lines };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('follow', () => {
  it('may hand flows (Service.flows) unless its format is a given DNS-only one', () => {
    expect(daemonFollowing('/nonexistent/dns.log').daemon.services[0]!.flows).toBe(true);
    expect(daemonFollowing('/nonexistent/dns.log', { followFormat: 'zeek' }).daemon.services[0]!.flows).toBe(false);
    expect(daemonFollowing('/nonexistent/conn.log', { followFormat: 'zeek-conn' }).daemon.services[0]!.flows).toBe(true);
  });

  it('flags domains while lines are appended, waiting for a file that does not exist yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-follow-'));
    dirs.push(dir);
    const file = join(dir, 'dns.log');
    const { daemon, lines } = daemonFollowing(file);
    await daemon.start();
    try {
      writeFileSync(file, HEADER.join('\n') + '\n');
      // Half the records, cut in the middle of a line: the partial line must wait for its end.
      const half = RECORDS.slice(0, RECORDS.length / 2).join('\n') + '\n';
      appendFileSync(file, half + RECORDS[RECORDS.length / 2]!.slice(0, 20));
      await until(() => daemon.stats.observations >= RECORDS.length / 2, 'the first half');
      expect(daemon.stats.skipped).toBe(0);
      appendFileSync(file, RECORDS[RECORDS.length / 2]!.slice(20) + '\n' + RECORDS.slice(RECORDS.length / 2 + 1).join('\n') + '\n');
      await until(() => daemon.stats.observations >= RECORDS.length, 'every record');
      expect(daemon.stats.skipped).toBe(0);
      await until(() => lines.length > 0, 'a flag event');
      const verdict = JSON.parse(lines[0]!) as { verdict: string; domain: string; last_seen: string };
      expect(['fast-flux', 'suspicious']).toContain(verdict.verdict);
      expect(daemon.context.flagged.match(verdict.domain)).not.toBeNull();
      // The flagged set follows the detector's live evidence, not the verdict of the flag event.
      daemon.refreshFlagged();
      for (const v of daemon.context.flagged.entries()) {
        const now = daemon.context.detector.current(v.domain);
        if (now !== null) expect(v.evidence).toEqual(now.evidence);
      }
      expect(daemon.context.flagged.lastActive(verdict.domain)).toBeGreaterThanOrEqual(Date.parse(verdict.last_seen) / 1000);
    } finally {
      await daemon.stop();
    }
  });

  it('reads a rotated file from its start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-follow-'));
    dirs.push(dir);
    const file = join(dir, 'dns.log');
    writeFileSync(file, HEADER.join('\n') + '\n' + RECORDS.slice(0, 100).join('\n') + '\n');
    const { daemon } = daemonFollowing(file);
    await daemon.start();
    try {
      await until(() => daemon.stats.observations >= 100, 'the first file');
      renameSync(file, join(dir, 'dns.log.1'));
      writeFileSync(file, HEADER.join('\n') + '\n' + RECORDS.slice(100, 150).join('\n') + '\n');
      await until(() => daemon.stats.observations >= 150, 'the new file');
      expect(daemon.stats.observations).toBe(150);
      expect(daemon.stats.skipped).toBe(0);
    } finally {
      await daemon.stop();
    }
  });

  it('refuses an unknown --follow-format and a bad interval in one line', () => {
    expect(() => daemonFollowing('/nonexistent', { followFormat: 'nope' })).toThrow(/unknown --follow-format 'nope'/);
    expect(() => daemonFollowing('/nonexistent', { followInterval: 'soon' })).toThrow(/--follow-interval/);
  });

  it('hands a followed flow log\'s flows to the daemon\'s flow path, also those appended later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-follow-'));
    dirs.push(dir);
    const file = join(dir, 'conn.log');
    // A flow format as the registry holds them: its decoder hands each line's flow to sink.flow. The real
    // flow logs (src/sources/flows) go through the same sink; test/flows-serve.test.ts follows a real conn.log.
    const records = ['192.0.2.7 198.51.100.7', '192.0.2.8 198.51.100.8', '192.0.2.9 198.51.100.9'];
    writeFileSync(file, '#flows\n' + records[0] + '\n');
    const connFormat: SourceFormat = {
      name: 'test-flows',
      description: 'one flow per line: SRC DST',
      sniff: (head) => head.toString('latin1').startsWith('#flows\n'),
      createDecoder: (name, sink) => {
        let line = 0;
        let rest = '';
        return {
          push(chunk) {
            const lines = (rest + chunk.toString('latin1')).split('\n');
            rest = lines.pop()!;
            for (const text of lines) {
              line++;
              const [src, dst] = text.split(' ');
              if (dst !== undefined) sink.flow?.(flowRecord(1_780_000_000 + line, src!, dst, { exporter: name }));
            }
          },
          end() {},
          position: () => line,
        };
      },
    };
    const daemon = new Daemon({
      config: defaultConfig(),
      enricher: nullEnricher,
      infra: null,
      log: pino({ level: 'silent' }),
      out: null,
      factories: [followService(() => [connFormat, ...sourceFormats])],
      flags: { follow: [file], followInterval: '20' },
    });
    await daemon.start();
    try {
      await until(() => daemon.flows.stats.analysed === 1, 'the first flow analysed');
      appendFileSync(file, records.slice(1).join('\n') + '\n');
      await until(() => daemon.flows.stats.analysed === records.length, 'the appended flows analysed');
      expect(daemon.flows.stats).toEqual({ received: records.length, dropped: 0, analysed: records.length });
      expect(daemon.stats.observations).toBe(0);
    } finally {
      await daemon.stop();
    }
  });
});
