// The flow suite's line-format half, proved on a line format: Zeek conn.log TSV
// through the flow-log parser of src/sources/flows, wrapped as a SourceFormat the
// way a flow format wraps it (helper "logs" registers the real one).
import { readFileSync } from 'node:fs';
import type { SourceFormat } from './source.js';
import { FlowLineDecoder } from './flows/decoder.js';
import { sniffZeekConnTsv, zeekConnTsvParser } from './flows/zeek-conn.js';
import { lineContainer, runFlowConformance } from './flow-conformance.case.js';

const fixture = readFileSync(new URL('../../test/fixtures/flows/zeek-conn.log', import.meta.url), 'utf8').split('\n');
const preamble = fixture.filter((line) => line.startsWith('#') && !line.startsWith('#close'));
const records = fixture.filter((line) => line !== '' && !line.startsWith('#'));

const connTsv: SourceFormat = {
  name: 'zeek-conn-test',
  description: 'Zeek conn.log TSV (test wrapper)',
  sniff: sniffZeekConnTsv,
  createDecoder(file, sink) {
    // The closure runs only once the decoder is pushed lines, after it is made.
    const decoder: FlowLineDecoder = new FlowLineDecoder(file, zeekConnTsvParser(file), {
      flow: (flow) => sink.flow?.(flow),
      skip: (skipped) => sink.skip({ position: { file, line: decoder.position() }, format: 'zeek-conn-test', reason: skipped.reason }),
    });
    return decoder;
  },
};

const line = (text: string) => Buffer.from(text);
runFlowConformance(connTsv, {
  container: lineContainer(preamble),
  firstLine: preamble.length + 1,
  good: records.map(line),
  bad: [line('garbage'), line(records[0]!.replace('192.0.2.10', 'not-an-address'))],
  absurd: [line(records[0]!.replace('1710234902.123456', '1e300')), line(records[0]!.replace('\t10\t1049', '\t-5\t1049'))],
  foreign: [readFileSync(new URL('../../test/fixtures/zeek/dns.log', import.meta.url)), readFileSync(new URL('../../test/fixtures/flows/netflow5.dat', import.meta.url))],
  text: true,
});
