// Records lost for want of a template: v9 counts them per record by its header
// count when the exporter counts records (RFC 3954 §5.1), else one per set.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { decodeDatagram, TemplateCache } from './index.js';

const dir = new URL('../../../test/fixtures/flows/', import.meta.url);
const countsOf = (name: string, cache = new TemplateCache()) =>
  decodeDatagram(readFileSync(new URL(name, dir)), { exporter: 'e', cache, position: name, now: 0 }).counts;

test.each<[string, number, number, string]>([
  // name, sets lost, records lost, why
  ['netflow9_test_cisco_asa_1_data.dat', 1, 14, 'one set of 14 records; the header counts 14'],
  ['netflow9_test_cisco_asa_2_data.dat', 9, 19, 'nine sets of two templates; the header counts 19 records'],
  ['netflow9_test_fortigate_fortios_542_appid_data258_262.dat', 17, 17, 'one record per set, 17 counted'],
  ['netflow9_test_h3c_data3281.dat', 16, 16, 'one record per set, 16 counted'],
  // Template 259's sets hold 1, 2, 1, 1, 2 records of 56 bytes (60/116-byte bodies) and set 262 one: 8, as 21 − 1 template − 12 read.
  ['netflow9_test_iptnetflow_reduced_size_encoding_tpldata260.dat', 6, 8, 'some sets lost, others read'],
  // Palo Alto counts flowsets (1), not the records of its 160-byte set: the floor, one per set.
  ['netflow9_test_paloalto_81_data257_1flowset_in_large_zerofilled_packet.dat', 1, 1, 'the exporter counts flowsets'],
  // IPFIX has no record count in its header: one per set.
  ['ipfix_test_openbsd_pflow_data.dat', 1, 1, 'IPFIX: the floor'],
])('%s: %i sets, %i records lost (%s)', (name, sets, records) => {
  const counts = countsOf(name);
  expect(counts.lostNoTemplate).toBe(sets);
  expect(counts.lostNoTemplateRecords).toBe(records);
});

test('nothing is counted lost when the template is there', () => {
  const cache = new TemplateCache();
  countsOf('netflow9_test_cisco_asa_1_tpl.dat', cache);
  expect(countsOf('netflow9_test_cisco_asa_1_data.dat', cache)).toMatchObject({ lostNoTemplate: 0, lostNoTemplateRecords: 0, dataRecords: 14 });
});
