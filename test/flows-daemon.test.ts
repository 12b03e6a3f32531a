/**
 * Issue 16: the collector inside the daemon. A fast-flux name is flagged
 * from DNS, then a NetFlow v5 export arrives over UDP on 127.0.0.1 saying a
 * client talked to one of its addresses: the exposure comes out as an
 * NDJSON line and in the collector's and the analysis's metrics. A client
 * that never looked the name up is a DNS bypass.
 */
import { createSocket } from 'node:dgram';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import type { FlowAnalysisCounts } from '../src/detect/flows/index.js';
import type { Exposure } from '../src/model/flow.js';
import { FlowCollector } from '../src/serve/flows/collector.js';
import { flowsService } from '../src/serve/flows/index.js';
import { rotateFlux } from './helpers/observations.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { v5Datagram } from './helpers/netflow-v5.js';
import { waitFor } from './support/daemon.js';
import { quietDaemon } from './support/quiet-daemon.js';

const NOW = Math.floor(Date.now() / 1000) - 3600;
const FLUX = 'login.evil-bank.com';



describe('serve --flows in the daemon', () => {
  it('turns exported flows to a flagged name\'s addresses into exposures', async () => {
    const config = defaultConfig();
    config.customers = [{ id: 'acme', name: 'Acme', contact: '', networks: ['192.0.2.0/24'] }];
    const out = new PassThrough();
    let ndjson = '';
    out.on('data', (b: Buffer) => (ndjson += b.toString()));
    const daemon = quietDaemon(config, { enricher: octetEnricher, out, factories: [flowsService], flags: { flows: 'udp:127.0.0.1:0' } });
    await daemon.start();
    const exporter = createSocket('udp4');
    try {
      const addresses = rotateFlux((o) => daemon.context.observations.observe(o), NOW, FLUX, '192.0.2.7');
      expect(daemon.context.flagged.match(FLUX)?.domain).toBe(FLUX);
      const collector = daemon.services.find((s) => s.name === 'flows') as FlowCollector;
      await new Promise<void>((resolve) => exporter.bind(0, '127.0.0.1', resolve));
      const datagram = v5Datagram(NOW + 3330, [
        // 192.0.2.7 looked the name up; 192.0.2.8 never did (DNS bypass); 192.0.2.9 talks to no flux address.
        { src: '192.0.2.7', dst: addresses[55]!, srcPort: 51000, dstPort: 443, start: NOW + 3310, end: NOW + 3311, bytes: 1200, packets: 10 },
        { src: '192.0.2.8', dst: addresses[56]!, srcPort: 51001, dstPort: 443, start: NOW + 3320, end: NOW + 3321, bytes: 900, packets: 8 },
        { src: '192.0.2.9', dst: '198.51.100.1', srcPort: 51002, dstPort: 443, start: NOW + 3320, end: NOW + 3321, bytes: 100, packets: 1 },
      ]);
      await new Promise<void>((resolve, reject) => exporter.send(datagram, collector.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      await waitFor('the flows analysed', () => daemon.flows.stats.analysed === 3, 5000, 10);
      await daemon.stop();
      const exposures = ndjson.trim().split('\n').map((l) => JSON.parse(l) as { record?: string }).filter((l): l is Exposure => l.record === 'exposure');
      expect(exposures.map((e) => [e.client, e.customer, e.domain, e.address, e.bypass, e.flows, e.bytes]).sort()).toEqual([
        ['192.0.2.7', 'acme', FLUX, addresses[55], false, 1, 1200],
        ['192.0.2.8', 'acme', FLUX, addresses[56], true, 1, 900],
      ]);
      const metrics = await daemon.metrics();
      expect(metrics).toMatch(/^fluxhound_flows_records_total\{exporter="127\.0\.0\.1:\d+"\} 3$/m);
    } finally {
      exporter.close();
      await daemon.stop();
    }
  });

  it('keeps no DNS memory for flows when no service can hand flows (flowsFromServicesOnly), and keeps it beside the collector', () => {
    const lookupsHeld = (factories: Parameters<typeof quietDaemon>[1]): number => {
      const daemon = quietDaemon(defaultConfig(), { flowsFromServicesOnly: true, ...factories });
      rotateFlux((o) => daemon.context.observations.observe(o), NOW, FLUX, '192.0.2.7');
      const stats = daemon.context.flows!.stats as FlowAnalysisCounts;
      return stats.lookups + stats.answerEntries;
    };
    expect(lookupsHeld({ factories: [] })).toBe(0);
    // 12 lookups of one name by one client: 1 lookup, 60 addresses received.
    expect(lookupsHeld({ factories: [flowsService], flags: { flows: 'udp:127.0.0.1:0' } })).toBe(61);
  });
});
