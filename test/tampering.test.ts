/**
 * Tampering end to end: a capture behind a censoring middlebox (platform
 * answers for names the platform does not serve, one query answered twice)
 * read as pcap by analyze(): the summary counts the injected and poisoned
 * names and the conflicting response, the verdicts carry the finding, and
 * nothing of it reaches the RPZ feed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpzSink } from '../src/act/rpz/sink.js';
import { rpzOptionsOf } from '../src/act/rpz/zone.js';
import { flaggedVerdict } from './helpers/verdicts.js';
import { analyze, type AnalyzeSummary } from '../src/analyze.js';
import { printSummary } from '../src/cli/summary.js';
import { defaultConfig } from '../src/config/schema.js';
import { defaultReferenceDir, loadInfra, REFERENCE_FILES } from '../src/enrich/infra/index.js';
import type { Verdict } from '../src/model/verdict.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { pcapFile, udpFrame, type Frame } from './support/pcap-synth.js';
import { LINKTYPE_ETHERNET } from '../src/sources/pcap/packet.js';

const T0 = 1743638400;
let dir: string;
let summary: AnalyzeSummary;
const verdicts: Verdict[] = [];
let rpz: string;

function response(id: number, qname: string, address: string, ttl: number): Buffer {
  return dnsPacket.encode({
    type: 'response', id, flags: dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name: qname }], answers: [{ type: 'A', name: qname, ttl, data: address }],
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-tampering-e2e-'));
  const reference = join(dir, 'reference');
  cpSync(defaultReferenceDir(), reference, { recursive: true });
  // The test enricher makes the first octet the ASN ×100: AS3100 is a platform serving social-net.com.
  writeFileSync(join(reference, REFERENCE_FILES.platforms), 'asn 3100 social\ndomain social-net.com social\n');
  const frames: Frame[] = [];
  let id = 1;
  const toClient = (port: number) => ({ src: '198.51.100.53', dst: '192.0.2.10', srcPort: 53, dstPort: port });
  for (let lookup = 0; lookup < 10; lookup++) {
    for (let n = 0; n < 20; n++) {
      const ts = T0 + lookup * 30 + n * 0.01;
      frames.push({ ts, bytes: udpFrame(LINKTYPE_ETHERNET, toClient(40000 + n), response(id++, `www.censored-${n}.org`, `31.${n}.${lookup}.${1 + ((n * 7 + lookup * 13) % 250)}`, 300)) });
    }
    // A stable site, counting down through a resolver cache...
    frames.push({ ts: T0 + lookup * 30, bytes: udpFrame(LINKTYPE_ETHERNET, toClient(41000), response(id, 'www.bank.example', '93.184.216.34', 3600 - lookup * 30)) });
    // ...whose 5th lookup an injector answered first.
    if (lookup === 4) frames.push({ ts: T0 + lookup * 30 + 0.05, bytes: udpFrame(LINKTYPE_ETHERNET, toClient(41000), response(id, 'www.bank.example', '10.10.10.10', 3600)) });
    id++;
  }
  frames.sort((a, b) => a.ts - b.ts);
  const capture = join(dir, 'capture.pcap');
  writeFileSync(capture, pcapFile(frames));
  rpz = join(dir, 'flux.rpz');
  summary = await analyze({
    files: [capture], format: 'auto', config: defaultConfig(), enricher: octetEnricher, infra: loadInfra(reference), baseline: null, all: false,
    sinks: [{ name: 'collect', verdict: (v) => verdicts.push(v), close: async () => {} }],
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tampering through analyze', () => {
  it('reports every injected name and the poisoned one, none of them flagged', () => {
    expect(summary.fastFlux + summary.suspicious).toBe(0);
    expect(summary.injected).toBe(20);
    expect(summary.poisoned).toBe(1);
    expect(summary.conflictingResponses).toBe(1);
    expect(summary.networks).toEqual([]);
    expect(verdicts.find((v) => v.domain === 'www.censored-3.org')?.tampering?.reasons[0]).toBe(
      '10 of 10 answers point into single-tenant platform networks (AS3100 social) that do not serve this domain',
    );
    expect(verdicts.find((v) => v.domain === 'www.bank.example')?.tampering).toEqual({
      kind: 'poisoned', reasons: ['2 responses to one query with different answers (on-path injection)'], answers: 1,
    });
  });

  it('prints the counts in the closing summary', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    printSummary(out, summary, 1000);
    expect(text).toContain('tampering: 20 names with injected answers, 1 poisoned; 1 second, different response to one query (not flux; never blocked)');
  });

  it('never writes an injected name into the RPZ feed, even one flagged on what was left of its evidence', async () => {
    const sink = rpzSink(rpz, rpzOptionsOf(defaultConfig()));
    const injected = { ...flaggedVerdict('www.censored-site.org', { label: 'suspicious' }), tampering: { kind: 'injected' as const, reasons: ['...'], answers: 9 } };
    sink.verdict(injected);
    sink.verdict(flaggedVerdict('login.evil.example'));
    await sink.close();
    const zone = readFileSync(rpz, 'utf8');
    expect(zone).toContain('login.evil.example');
    expect(zone).not.toContain('censored-site');
  });
});
