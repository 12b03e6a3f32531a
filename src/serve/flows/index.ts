/**
 * `--flows udp:ADDRESS:PORT` (serve.flows.listen): the live NetFlow v5/v9 and
 * IPFIX collector of `fluxhound serve`. Flags are parsed once here and win
 * over the config; the service is in collector.ts.
 */
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { ClientAcl } from '../acl.js';
import { netGovernor } from '../net/index.js';
import type { ServiceFactory } from '../service.js';
import { FlowCollector } from './collector.js';
import { parseFlowListen } from './listen.js';

export const flowsService: ServiceFactory = {
  name: 'flows',
  addOptions(command: Command): void {
    command
      .option('--flows <udp:address:port>', 'collect NetFlow v5/v9 and IPFIX on this UDP address, e.g. udp:0.0.0.0:2055 (serve.flows.listen); port 0 picks a free one (logged)')
      .option('--flows-exporter <cidr...>', 'exporter networks whose datagrams are read, instead of serve.flows.exporters (default loopback only)');
  },
  create(flags, context) {
    const config = context.config.serve.flows;
    const listenText = typeof flags.flows === 'string' ? flags.flows : config.listen;
    if (listenText === null) return null;
    const listen = parseFlowListen(listenText, typeof flags.flows === 'string' ? '--flows' : 'serve.flows.listen');
    const given = flags.flowsExporter;
    const fromFlag = given !== undefined;
    const exporters = fromFlag ? (Array.isArray(given) ? given : [given]).map(String) : config.exporters;
    const exportersFrom = fromFlag ? '--flows-exporter' : 'serve.flows.exporters';
    try {
      new ClientAcl(exporters, exportersFrom);
    } catch (err) {
      throw new UsageError(`serve: ${(err as Error).message}`);
    }
    return new FlowCollector({
      listen,
      exporters,
      exportersFrom,
      maxExporters: config.maxExporters,
      receiveBuffer: config.receiveBuffer,
      templates: context.config.flows.templates,
      sink: context.observations,
      log: context.log,
      registry: context.registry,
      governor: netGovernor(context),
    });
  },
};

export { FlowCollector, type FlowCollectorOptions, type FlowRefusal } from './collector.js';
export { parseFlowListen, type FlowListen } from './listen.js';
