/** The pcap decoder on real captures (test/fixtures/pcap, see PROVENANCE.md), checked against other decoders' views of the same traffic. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DnsObservation, SkippedRecord } from '../../model/observation.js';
import { sourceFormats } from '../registry.js';
import { decode, observationsOf, skipsOf, splitAt } from '../conformance.case.js';
import { eveFormat } from '../eve/index.js';
import { fixture, suricataIdsLookup } from '../fixtures.case.js';
import { readInputs } from '../input.js';
import { pcapFormat } from './index.js';

/** Fixture, responses (observations with an rcode), unanswered queries (tshark agrees: see test/integration/pcap-tshark.test.ts). */
const FIXTURES: [string, number, number][] = [
  ['pcap/chrissanders_dns_isp_hijack.pcapng', 2, 0],
  ['pcap/chrissanders_dns_lab.pcapng', 11, 0],
  ['pcap/go-dnscollector_dnsdump_udp.pcap', 16, 1],
  ['pcap/suricata-verify_dns-eve-type-filtering.pcap', 7, 0],
  ['pcap/suricata-verify_dns_bug-1158.pcap', 80, 1],
];

describe('pcap: real captures', () => {
  it.each(FIXTURES)('%s: every response, no skips', (path, responses, unanswered) => {
    const outcomes = decode(pcapFormat, [fixture(path)]);
    expect(skipsOf(outcomes)).toEqual([]);
    const seen = observationsOf(outcomes);
    expect(seen.filter((o) => o.rcode !== null)).toHaveLength(responses);
    expect(seen.filter((o) => o.rcode === null)).toHaveLength(unanswered);
    expect(pcapFormat.sniff(fixture(path))).toBe(true);
  });

  it('gives the first lookup of dns-eve-type-filtering exactly as every source must', () => {
    const first = observationsOf(decode(pcapFormat, [fixture('pcap/suricata-verify_dns-eve-type-filtering.pcap')]))[0]!;
    expect(first).toEqual(suricataIdsLookup(1573665066.852509, true));
  });

  it('agrees with what Suricata logged for bug-1158 (eve v3 fixture), section for section', () => {
    const fromEve = observationsOf(decode(eveFormat, [fixture('eve/bug-1158.v3.json')]));
    const fromPcap = observationsOf(decode(pcapFormat, [fixture('pcap/suricata-verify_dns_bug-1158.pcap')]));
    expect(fromEve.length).toBeGreaterThanOrEqual(4);
    // Suricata logs each string of a TXT record as a record of its own; everything else matches.
    const comparable = (o: DnsObservation) => ({ ...o, ts: Math.round(o.ts * 1e6), firstSeen: 0, answers: o.answers.filter((r) => r.type !== 'TXT') });
    for (const eve of fromEve.filter((o) => o.rcode !== null)) {
      const match = fromPcap.find((o) => o.qname === eve.qname && Math.abs(o.ts - eve.ts) < 1e-5);
      expect(match, eve.qname).toBeDefined();
      expect(comparable(match!)).toEqual(comparable(eve));
    }
  });

  it('keeps every packet before the damage of a truncated capture', () => {
    for (const [path] of FIXTURES) {
      const bytes = fixture(path);
      const whole = decode(pcapFormat, [bytes]).filter((o) => o.kind === 'observe' && o.observation.rcode !== null);
      // Every offset of the small captures, every 61st of the larger ones.
      for (let cut = 0; cut < bytes.length; cut += bytes.length < 5000 ? 1 : 61) {
        const outcomes = decode(pcapFormat, [bytes.subarray(0, cut)]);
        const responses = outcomes.filter((o) => o.kind === 'observe' && o.observation.rcode !== null);
        expect(responses, `${path} cut at ${cut}`).toEqual(whole.slice(0, responses.length));
        expect(outcomes.filter((o) => o.kind === 'skip').length, `${path} cut at ${cut}`).toBeLessThanOrEqual(2);
      }
    }
  });

  it('never throws on mutated real captures, and reports within them', () => {
    for (const path of ['pcap/chrissanders_dns_lab.pcapng', 'pcap/go-dnscollector_dnsdump_udp.pcap']) {
      const original = fixture(path);
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 24 }), fc.array(fc.nat(), { maxLength: 4 }), (mutations, cuts) => {
          const bytes = Buffer.from(original);
          for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          for (const outcome of decode(pcapFormat, splitAt(bytes, cuts))) {
            expect(outcome.line).toBeGreaterThanOrEqual(1);
            expect(outcome.line).toBeLessThanOrEqual(200);
          }
        }),
        { numRuns: 300 },
      );
    }
  });

  it('is auto-detected from files, gzip-compressed too, through readInputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-pcap-'));
    try {
      const plain = join(dir, 'lab.pcapng');
      const packed = join(dir, 'capture.bin.gz');
      writeFileSync(plain, fixture('pcap/chrissanders_dns_lab.pcapng'));
      writeFileSync(packed, gzipSync(fixture('pcap/suricata-verify_dns_bug-1158.pcap')));
      const seen: DnsObservation[] = [];
      const skipped: SkippedRecord[] = [];
      const summaries = await readInputs([plain, packed], { format: 'auto', formats: sourceFormats, sink: { observe: (o) => seen.push(o), skip: (s) => skipped.push(s) } });
      expect(summaries.map((s) => [s.format, s.compressed, s.observations, s.skipped])).toEqual([
        ['pcap', false, 11, 0],
        ['pcap', true, 81, 0],
      ]);
      expect(skipped).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
