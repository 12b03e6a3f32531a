// Real exporters' datagrams against the fields the Logstash codec expects from
// them (logstash-codec-netflow spec/codecs/netflow_spec.rb @ a4e9621, quoted
// beside each case): an oracle written independently of this decoder.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { FlowRecord } from '../../model/flow.js';
import { decodeDatagram, TemplateCache, type DecodeResult } from './index.js';

const dir = new URL('../../../test/fixtures/flows/', import.meta.url);

function decodeAll(files: string[]): { flows: FlowRecord[]; results: DecodeResult[] } {
  const cache = new TemplateCache();
  const results = files.map((file) =>
    decodeDatagram(readFileSync(new URL(file, dir)), { exporter: '192.0.2.1:2055', cache, position: file, now: 0 }),
  );
  return { flows: results.flatMap((r) => r.flows), results };
}

const iso = (s: string): number => Date.parse(s) / 1000;

describe('oracle: logstash-codec-netflow expected fields', () => {
  test('NetFlow v5 softflowd (netflow5.dat): 2 records', () => {
    const { flows } = decodeAll(['netflow5.dat']);
    expect(flows).toHaveLength(2);
    expect(flows[0]).toMatchObject({ src: '10.0.2.2', dst: '10.0.2.15', packets: 5, bytes: 230, srcPort: 54435, dstPort: 22, proto: 6, samplingRate: 1 });
    expect(flows[1]).toMatchObject({ src: '10.0.2.15', dst: '10.0.2.2', packets: 4, bytes: 304, srcPort: 22, dstPort: 54435, proto: 6 });
    // Oracle last_switched is 18:38:08.476: export time 18:38:08.280328 minus (uptime 3381 - last 2577) ms
    // is 18:38:07.476328; the codec drops the borrowed second. Its first_switched (2015-06-21) reads
    // softflowd's 0xffffffff as unsigned; we read it as -1 ms of uptime (signed, survives the wrap).
    expect(flows[0]!.end).toBeCloseTo(iso('2015-05-02T18:38:07.476Z'), 3);
    expect(flows[0]!.start).toBeCloseTo(iso('2015-05-02T18:38:04.898Z'), 3);
  });

  test('NetFlow v5 Mikrotik: 30 records, record 30', () => {
    const { flows } = decodeAll(['netflow5_test_microtik.dat']);
    expect(flows).toHaveLength(30);
    const f = flows[29]!;
    expect(f).toMatchObject({ src: '10.0.8.1', dst: '192.168.0.1', packets: 13, bytes: 11442, srcPort: 80, dstPort: 51826, proto: 6 });
    expect(f.start).toBeCloseTo(iso('2016-07-21T13:51:42.254Z'), 2);
    expect(f.end).toBeCloseTo(iso('2016-07-21T13:51:42.254Z'), 2);
  });

  test('NetFlow v9 Cisco ASA: 13 templates then 14 records, record 2', () => {
    const { flows, results } = decodeAll(['netflow9_test_cisco_asa_1_tpl.dat', 'netflow9_test_cisco_asa_1_data.dat']);
    expect(results[0]!.counts.templates).toBe(13);
    expect(flows).toHaveLength(14);
    const f = flows[1]!;
    // ipv4_src_addr, l4_src_port, ipv4_dst_addr, l4_dst_port, protocol, in_permanent_bytes, flow_start_msec, event_time_msec
    expect(f).toMatchObject({ src: '192.168.23.22', srcPort: 17549, dst: '164.164.37.11', dstPort: 0, proto: 1, bytes: 56 });
    expect(f.start).toBeCloseTo(1444384068.169, 3);
    expect(f.end).toBeCloseTo(1444384070.179, 3);
  });

  test('IPFIX OpenBSD pflow: 26 records, record 26', () => {
    const { flows } = decodeAll(['ipfix_test_openbsd_pflow_tpl.dat', 'ipfix_test_openbsd_pflow_data.dat']);
    expect(flows).toHaveLength(26);
    const f = flows[25]!;
    expect(f).toMatchObject({ src: '192.168.0.1', dst: '192.168.0.17', packets: 8, bytes: 6425, srcPort: 80, dstPort: 64026, proto: 6 });
    expect(f.start).toBe(iso('2016-07-21T13:29:59.000Z'));
    expect(f.end).toBe(iso('2016-07-21T13:30:01.000Z'));
  });

  test('data before its template is lost for want of a template, and counted', () => {
    const { results } = decodeAll(['ipfix_test_openbsd_pflow_data.dat']);
    expect(results[0]!.flows).toHaveLength(0);
    expect(results[0]!.counts.lostNoTemplate).toBe(1);
    expect(results[0]!.skipped[0]!.reason).toMatch(/^no template \d+$/);
  });

  test('IPFIX YAF: enterprise elements skipped and counted, the flow still read', () => {
    const { results } = decodeAll(['ipfix_test_yaf_tpls_option_tpl.dat', 'ipfix_test_yaf_tpl45841.dat', 'ipfix_test_yaf_data45841.dat']);
    expect(results[0]!.counts.optionsTemplates).toBe(1);
    const data = results[2]!;
    expect(data.counts.enterpriseElements).toBeGreaterThan(0);
    expect(data.flows[0]).toMatchObject({ src: '172.16.32.201', dst: '172.16.32.100', dstPort: 53, proto: 17 });
  });

  test('NetFlow v9 options data announces sampling (netflow9_test_invalid01.dat)', () => {
    const { flows, results } = decodeAll(['netflow9_test_invalid01.dat']);
    expect(results[0]!.counts.optionsRecords).toBe(1);
    expect(flows.map((f) => f.samplingRate)).toEqual([100, 100]);
    expect(flows[0]!.src).toBe('2001:44b8:1118:7200::10');
  });

  test('v5 header that counts more records than fit: those that fit, and one skip', () => {
    const { results } = decodeAll(['netflow5_test_invalid01.dat']);
    expect(results[0]!.flows).toHaveLength(30);
    expect(results[0]!.skipped.map((s) => s.reason)).toEqual(['v5 header counts 55582 records, 30 fit']);
  });

  test('v9 template with zero-length fields (netflow9_test_0length_fields_tpl_data.dat)', () => {
    const { flows } = decodeAll(['netflow9_test_0length_fields_tpl_data.dat']);
    expect(flows).toHaveLength(10);
  });

  test('IPFIX Netscaler: enterprise variable-length fields (one over 255 bytes), 3 records, record 3', () => {
    const { flows, results } = decodeAll(['ipfix_test_netscaler_tpl.dat', 'ipfix_test_netscaler_data.dat']);
    expect(flows).toHaveLength(3);
    expect(results[1]!.counts.enterpriseElements).toBeGreaterThan(0);
    const f = flows[2]!;
    expect(f).toMatchObject({ src: '192.168.0.1', dst: '10.0.0.1', srcPort: 51053, dstPort: 443, proto: 6, bytes: 1541, packets: 2 });
    // flowStart/EndMicroseconds: 2016-11-11T12:09:19.000128468Z in the oracle (NTP fraction)
    expect(f.end).toBeCloseTo(iso('2016-11-11T12:09:19.000Z'), 3);
    expect(f.start).toBeCloseTo(iso('2016-11-11T12:09:19.000Z'), 3);
    // decode[0] flowEndMicroseconds to the nanosecond in Logstash 8: 2016-11-11T12:09:19.000127768Z
    expect(flows[0]!.end - iso('2016-11-11T12:09:19.000Z')).toBeCloseTo(0.000127768, 6);
  });

  test('NetFlow v9 Palo Alto: one flowset in a large zero-filled datagram, 1 record, no skip', () => {
    const { flows, results } = decodeAll(['netflow9_test_paloalto_81_tpl256-263.dat', 'netflow9_test_paloalto_81_data257_1flowset_in_large_zerofilled_packet.dat']);
    expect(flows).toHaveLength(1);
    expect(results[1]!.skipped).toEqual([]);
    expect(flows[0]).toMatchObject({ src: '134.220.2.6', dst: '134.220.1.156', srcPort: 88, dstPort: 50234, proto: 6, bytes: 363, packets: 3 });
    // Oracle first/last_switched 13:20:03.000: export 13:20:17 minus (uptime - switched) = 15,000 ms is
    // 13:20:02.000; the codec takes seconds = unix - floor(millis/1000) and micros = 1,000,000 - (millis % 1000) * 1000,
    // which is unix - millis/1000 + 1 s: every v9 switched time it gives is one second late. We keep the arithmetic.
    expect(flows[0]!.start).toBe(iso('2018-06-06T13:20:02.000Z'));
    expect(flows[0]!.end).toBe(iso('2018-06-06T13:20:02.000Z'));
  });

  test('IPFIX Mikrotik: 46 records, IPv4 and IPv6; sysUpTime times without a boot time fall back to export time', () => {
    const { flows, results } = decodeAll(['ipfix_test_mikrotik_tpl.dat', 'ipfix_test_mikrotik_data258.dat', 'ipfix_test_mikrotik_data259.dat']);
    expect(flows).toHaveLength(46);
    expect(flows[0]).toMatchObject({ src: '10.10.8.197', dst: '192.168.128.17', srcPort: 123, dstPort: 123, proto: 17, bytes: 152, packets: 2 });
    expect(flows[45]).toMatchObject({ src: 'fe80::ff:fe00:1201', dst: 'fe80::ff:fe00:1201', srcPort: 5678, dstPort: 5678, proto: 17, bytes: 370, packets: 2 });
    // The oracle leaves flowStartSysUpTime raw; RouterOS sends no systemInitTimeMilliseconds to place it.
    const exportTime = readFileSync(new URL('ipfix_test_mikrotik_data258.dat', dir)).readUInt32BE(4);
    expect(results[1]!.flows[0]!.start).toBe(exportTime);
  });

  test('IPFIX Juniper MX240 options data: samplingInterval 1000 applies to the domain, no flow emitted', () => {
    const cache = new TemplateCache();
    const files = ['ipfix_test_juniper_mx240_junos151r6s3_opttpl512.dat', 'ipfix_test_juniper_mx240_junos151r6s3_data512.dat'];
    const results = files.map((file) => decodeDatagram(readFileSync(new URL(file, dir)), { exporter: 'j', cache, position: file, now: 0 }));
    expect(results[0]!.counts.optionsTemplates).toBe(1);
    expect(results[1]!.counts.optionsRecords).toBe(1);
    expect(results[1]!.flows).toEqual([]);
    const domain = readFileSync(new URL(files[1]!, dir)).readUInt32BE(12);
    expect(cache.samplingOf(`j/${domain}`)).toBe(1000);
    // systemInitTimeMilliseconds 1262761598000: the base of this domain's flow{Start,End}SysUpTime
    expect(cache.systemInitOf(`j/${domain}`)).toBe(1262761598);
  });

  test('NetFlow v9 Fortigate FortiOS 5.2.1: options record (total_bytes_exp) then one flow', () => {
    const { flows, results } = decodeAll(['netflow9_test_fortigate_fortios_521_tpl.dat', 'netflow9_test_fortigate_fortios_521_data256.dat', 'netflow9_test_fortigate_fortios_521_data257.dat']);
    // The codec emits the options record as decode[0]; we read it as exporter facts, not a flow.
    expect(results.reduce((n, r) => n + r.counts.optionsRecords, 0)).toBe(1);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ src: '192.168.99.7', dst: '31.13.87.36', srcPort: 61910, dstPort: 443, proto: 6, bytes: 152, packets: 3 });
    // Oracle 04:44:29.522 / 04:44:38.522, one second late: see the Palo Alto case. nfdump's rule
    // (boot = unix_secs*1000 - sysUptime; time = boot + switched) gives ours.
    expect(flows[0]!.start).toBeCloseTo(iso('2017-07-25T04:44:28.522Z'), 3);
    expect(flows[0]!.end).toBeCloseTo(iso('2017-07-25T04:44:37.522Z'), 3);
  });

  test('IPFIX VMware vDS: 5 records, IPv4 then IPv6', () => {
    const { flows } = decodeAll(['ipfix_test_vmware_vds_tpl.dat', 'ipfix_test_vmware_vds_data264.dat', 'ipfix_test_vmware_vds_data266.dat', 'ipfix_test_vmware_vds_data266_267.dat']);
    expect(flows).toHaveLength(5);
    expect(flows[0]).toMatchObject({ src: '172.18.65.21', dst: '172.18.65.211', srcPort: 61209, dstPort: 5985, proto: 6, bytes: 100, packets: 2 });
    expect(flows[0]!.start).toBe(iso('2016-12-22T12:17:37.000Z'));
    expect(flows[0]!.end).toBe(iso('2016-12-22T12:17:37.000Z'));
    expect(flows[4]).toMatchObject({ src: 'fe80::5187:5cd8:d750:cdc9', dst: 'ff02::1:3', dstPort: 5355, bytes: 144 });
  });
});
