/**
 * Every flow-log decoder through the shared flow conformance and fuzz suite
 * (../flow-conformance.case.ts): zeek-conn, zeek-conn-json, nfdump-csv, and
 * the eve reader's flow events. Samples are real fixtures where they exist
 * (nfdump-real.csv) and the checked hand-written ones otherwise.
 */
import { readFileSync } from 'node:fs';
import { lineContainer, runFlowConformance } from '../flow-conformance.case.js';
import { eveFormat } from '../eve/index.js';
import { zeekHeader } from '../zeek/header.js';
import { nfdumpCsvFormat, zeekConnFormat, zeekConnJsonFormat } from './index.js';

const text = (name: string): string => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8');
const lines = (name: string): string[] => text(name).split('\n').filter((line) => line.length > 0);
const units = (list: readonly string[]): Buffer[] => list.map((line) => Buffer.from(line));

/** Inputs of other formats: DNS logs above all, and the other flow logs. */
const foreign = (...names: string[]): Buffer[] => [
  Buffer.from(`${zeekHeader().join('\n')}\n`),
  ...['zeek/dns.log', 'zeek/dns.json', 'pdns/cof.json', 'eve/dns-eve-type-filtering.v2.json', 'flows/zeek-conn.log', 'flows/zeek-conn.json', 'flows/nfdump-real.csv']
    .filter((name) => !names.includes(name))
    .map((name) => Buffer.from(text(name))),
];

const connLog = lines('flows/zeek-conn.log');
const connHeader = connLog.filter((line) => line.startsWith('#') && !line.startsWith('#close'));
const connData = connLog.filter((line) => !line.startsWith('#'));
const connColumn = (i: number, value: string): string => connData[0]!.split('\t').map((v, j) => (j === i ? value : v)).join('\t');

runFlowConformance(zeekConnFormat, {
  container: lineContainer(connHeader),
  firstLine: connHeader.length + 1,
  good: units(connData),
  bad: units(['garbage', connData[0]!.slice(0, 40), connColumn(2, '999.1.1.1'), connColumn(3, '70000'), connColumn(17, '-1'), connColumn(0, 'NaN')]),
  absurd: units([connColumn(0, '1e300'), connColumn(8, '1e300'), connColumn(17, '9007199254740993'), connColumn(16, '9007199254740991'), connColumn(6, 'tcp'.repeat(5000))]),
  foreign: foreign('flows/zeek-conn.log'),
  text: true,
});

const connJson = lines('flows/zeek-conn.json');
const connJsonWith = (patch: Record<string, unknown>): string => JSON.stringify({ ...(JSON.parse(connJson[0]!) as object), ...patch });

runFlowConformance(zeekConnJsonFormat, {
  container: lineContainer([]),
  firstLine: 1,
  good: units(connJson),
  bad: units(['{{{', '[1,2]', connJsonWith({ 'id.resp_h': 'nowhere' }), connJsonWith({ orig_pkts: -1 }), connJsonWith({ ts: 'yesterday' })]),
  absurd: units([connJsonWith({ ts: 1e300 }), connJsonWith({ duration: 1e300 }), connJsonWith({ orig_ip_bytes: 1e300 }), connJsonWith({ proto: 'x'.repeat(100_000) })]),
  foreign: foreign('flows/zeek-conn.json'),
  text: true,
});

const csv = lines('flows/nfdump-real.csv');
const csvData = csv.filter((line) => /^20\d\d-/.test(line));
const csvColumn = (i: number, value: string): string => csvData[0]!.split(',').map((v, j) => (j === i ? value : v)).join(',');

runFlowConformance(nfdumpCsvFormat, {
  container: lineContainer([csv[0]!]),
  firstLine: 2,
  good: units(csvData),
  bad: units(['garbage', csvData[0]!.slice(0, 50), csvColumn(3, '1.2.3'), csvColumn(7, 'PIGEON'), csvColumn(12, '-5'), csvColumn(0, '1970-01-01 00:00:00')]),
  absurd: units([csvColumn(0, '9999-12-31 23:59:59'), csvColumn(12, '99999999999999999999'), csvColumn(6, '999.999'), csvColumn(11, 'x'.repeat(100_000))]),
  foreign: foreign('flows/nfdump-real.csv'),
  text: true,
});

const eve = lines('flows/eve-flow.json');
const eveFlows = eve.filter((line) => !line.includes('"event_type":"dns"'));
const eveWith = (patch: (event: Record<string, Record<string, unknown>>) => void): string => {
  const event = JSON.parse(eveFlows[0]!) as Record<string, Record<string, unknown>>;
  patch(event);
  return JSON.stringify(event);
};

runFlowConformance(eveFormat, {
  container: lineContainer([]),
  firstLine: 1,
  good: units(eveFlows),
  bad: units([
    '{{{',
    eveWith((e) => { e['flow']!['bytes_toserver'] = '12'; }),
    eveWith((e) => { e['flow']!['end'] = '2001-01-01T00:00:00+0000'; }),
    eveWith((e) => { delete e['flow']; }),
    eveWith((e) => { (e as Record<string, unknown>)['src_port'] = 70000; }),
  ]),
  absurd: units([
    eveWith((e) => { e['flow']!['start'] = '0001-01-01T00:00:00+0000'; }),
    eveWith((e) => { e['flow']!['pkts_toclient'] = 1e300; }),
    eveWith((e) => { e['flow']!['end'] = '9999-12-31T23:59:59+0000'; }),
  ]),
  foreign: foreign().filter((bytes) => !bytes.toString('utf8').includes('"event_type"')),
  text: true,
});
