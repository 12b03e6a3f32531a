import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../model/flow.js';
import type { DnsObservation, SkippedRecord } from '../../model/observation.js';
import { readInputs, SNIFF_BYTES } from '../input.js';
import { textFormats } from '../index.js';
import { sourceFormats } from '../registry.js';
import type { ObservationSink } from '../source.js';
import { eveFormat } from '../eve/index.js';
import { flowFormats, nfdumpCsvFormat, zeekConnFormat, zeekConnJsonFormat } from './index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** The flow logs among the fixtures, and the format each must be read as; every other fixture is no flow log. */
const FLOW_LOGS: Record<string, string> = {
  'test/fixtures/flows/zeek-conn.log': 'zeek-conn',
  'test/fixtures/flows/zeek-conn.json': 'zeek-conn-json',
  'test/fixtures/flows/nfdump-real.csv': 'nfdump-csv',
  // eve flow events are read by the one eve reader, with the dns events of the same file.
  'test/fixtures/flows/eve-flow.json': 'eve',
  // The bundled example's connections (scripts/example-flows.ts).
  'examples/example.conn.log': 'zeek-conn',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** What readInputs' sniffers see: the first 64 KiB, decompressed. */
function headOf(path: string): Buffer {
  const bytes = readFileSync(path);
  const plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return plain.subarray(0, SNIFF_BYTES);
}

const fixtures = [...filesUnder(join(ROOT, 'test/fixtures')), ...filesUnder(join(ROOT, 'examples'))]
  .map((path) => relative(ROOT, path))
  .sort();
const flowNames = new Set(flowFormats.map((format) => format.name));

describe('sniff order: flow and DNS sniffers never take each other\'s logs (every fixture and example)', () => {
  it('has the flow logs it expects among the fixtures', () => {
    for (const name of Object.keys(FLOW_LOGS)) expect(fixtures).toContain(name);
    expect(fixtures).toContain('examples/example.dns.log');
  });

  it.each(fixtures)('%s', (name) => {
    const head = headOf(join(ROOT, name));
    const takers = sourceFormats.filter((format) => format.sniff(head)).map((format) => format.name);
    const expected = FLOW_LOGS[name];
    if (expected === undefined) {
      expect(takers.filter((format) => flowNames.has(format))).toEqual([]);
    } else {
      // Exactly one format takes a flow log, so the order of the list cannot matter.
      expect(takers).toEqual([expected]);
    }
  });
});

interface Collected {
  observations: DnsObservation[];
  flows: FlowRecord[];
  skipped: SkippedRecord[];
  sink: ObservationSink;
}

function collector(takesFlows: boolean): Collected {
  const out: Collected = { observations: [], flows: [], skipped: [], sink: { observe: () => undefined, skip: () => undefined } };
  out.sink = {
    observe: (o) => out.observations.push(o),
    skip: (s) => out.skipped.push(s),
    ...(takesFlows ? { flow: (f: FlowRecord) => out.flows.push(f) } : {}),
  };
  return out;
}

const fixture = (name: string): string => join(ROOT, 'test/fixtures', name);

describe('one run reads DNS logs and flow logs (fluxhound analyze dns.log conn.log)', () => {
  it('sniffs each, hands DNS to observe and flows to flow, and counts both per input', async () => {
    const out = collector(true);
    const inputs = [fixture('zeek/dns.log'), fixture('flows/zeek-conn.log'), fixture('flows/nfdump-real.csv'), fixture('flows/zeek-conn.json')];
    const summaries = await readInputs(inputs, { format: 'auto', sink: out.sink, formats: sourceFormats });
    expect(summaries.map((s) => [s.format, s.flows, s.observations > 0])).toEqual([
      ['zeek', 0, true],
      ['zeek-conn', 3, false],
      // One of the 17 is softflowd's first ICMP flow, exported with a zero uptime: nfdump prints it at 1970.
      ['nfdump-csv', 16, false],
      ['zeek-conn-json', 2, false],
    ]);
    expect(out.flows).toHaveLength(3 + 16 + 2);
    expect(out.flows[0]).toMatchObject({ src: '192.0.2.10', dst: '198.51.100.7', dstPort: 443, exporter: inputs[1], position: `${inputs[1]}:9` });
    expect(out.skipped.filter((s) => s.format === 'nfdump-csv')).toEqual([
      { position: { file: inputs[2], line: 12 }, format: 'nfdump-csv', reason: expect.stringMatching(/timestamp 0 is not a time between 1987 and 2106/) as string, flow: true },
    ]);
    expect(summaries[2]?.skipped).toBe(1);
  });

  it('a sink without flow gets no flows and counts none; DNS in the same run is unchanged', async () => {
    const withFlows = collector(true);
    const without = collector(false);
    const inputs = [fixture('flows/zeek-conn.log'), fixture('zeek/dns.log')];
    await readInputs(inputs, { format: 'auto', sink: withFlows.sink, formats: sourceFormats });
    const summaries = await readInputs(inputs, { format: 'auto', sink: without.sink, formats: sourceFormats });
    expect(without.flows).toEqual([]);
    expect(summaries.map((s) => s.flows)).toEqual([0, 0]);
    expect(without.observations).toEqual(withFlows.observations);
    expect(without.observations.length).toBeGreaterThan(0);
  });

  it('--format zeek-conn reads a conn.log; the DNS text formats alone refuse it', async () => {
    const out = collector(true);
    const [summary] = await readInputs([fixture('flows/zeek-conn.log')], { format: 'zeek-conn', sink: out.sink, formats: sourceFormats });
    expect(summary?.flows).toBe(3);
    await expect(readInputs([fixture('flows/zeek-conn.log')], { format: 'auto', sink: out.sink, formats: textFormats })).rejects.toThrow(/unknown input format/);
  });
});

describe('one eve.json feeds both DNS observations and flows', () => {
  it('suricata-verify bug-1158: four DNS responses and the flow event of the same file', async () => {
    const out = collector(true);
    const file = fixture('eve/bug-1158.v3.json');
    const [summary] = await readInputs([file], { format: 'auto', sink: out.sink, formats: sourceFormats });
    expect(summary).toMatchObject({ format: 'eve', observations: 4, flows: 1, skipped: 0 });
    expect(out.flows).toEqual([{
      start: Date.UTC(2014, 1, 26, 9, 19, 59) / 1000 + 0.239753, end: Date.UTC(2014, 1, 26, 9, 20, 8) / 1000 + 0.881102,
      src: '10.30.28.90', srcPort: 43246, dst: '10.30.28.94', dstPort: 53, proto: 17,
      bytes: 10078 + 18389, packets: 81 + 80, samplingRate: 1, exporter: file, position: `${file}:10`, initiator: 'src',
    }]);
  });

  it('eve-flow.json: flow, netflow and ICMP flow events, the dns event beside them', async () => {
    const out = collector(true);
    const file = fixture('flows/eve-flow.json');
    const [summary] = await readInputs([file], { format: 'auto', sink: out.sink, formats: sourceFormats });
    expect(summary).toMatchObject({ format: 'eve', flows: 3 });
    expect(out.flows.map((f) => [f.position, f.proto, f.bytes])).toEqual([[`${file}:1`, 6, 5529], [`${file}:3`, 17, 72], [`${file}:4`, 1, 168]]);
  });

  it('a bad flow event is one skip at its line, in the eve format; a DNS-only sink passes flow events over', () => {
    const good = readFileSync(fixture('flows/eve-flow.json'), 'utf8').split('\n')[0]!;
    const event = JSON.parse(good) as Record<string, Record<string, unknown>>;
    event['flow']!['start'] = '1970-01-01T00:00:01+0000';
    event['flow']!['end'] = '1970-01-01T00:00:02+0000';
    const text = `${good}\n${JSON.stringify(event)}\n{"event_type":"netflow","timestamp":"2024-03-12T09:15:05+0000"}\n`;
    for (const takesFlows of [true, false]) {
      const out = collector(takesFlows);
      const decoder = eveFormat.createDecoder('e.json', out.sink);
      decoder.push(Buffer.from(text));
      decoder.end();
      expect(out.flows).toHaveLength(takesFlows ? 1 : 0);
      // Marked as flow data (SkippedRecord.flow): a run counts them among its flow skips.
      expect(out.skipped.map((s) => [s.position.line, s.format, s.reason, s.flow])).toEqual(takesFlows ? [
        [2, 'eve', 'timestamp 1 is not a time between 1987 and 2106', true],
        [3, 'eve', "no 'netflow' object", true],
      ] : []);
    }
  });
});

describe('the flow formats are registered', () => {
  it('after the DNS text formats, each once', () => {
    const names = sourceFormats.map((format) => format.name);
    for (const format of [zeekConnFormat, zeekConnJsonFormat, nfdumpCsvFormat]) {
      expect(names.filter((name) => name === format.name)).toHaveLength(1);
      expect(names.indexOf(format.name)).toBeGreaterThan(names.indexOf('pdns'));
    }
  });
});
