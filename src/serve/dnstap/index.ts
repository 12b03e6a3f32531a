/**
 * `--dnstap ENDPOINT...`: the live dnstap listener of `fluxhound serve`.
 * Flags are parsed once here; the service is in listener.ts.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { ServiceFactory } from '../service.js';
import { parseEndpoint } from './endpoint.js';
import { DnstapService } from './listener.js';
import { netGovernor } from '../net/index.js';

export const dnstapService: ServiceFactory = {
  name: 'dnstap',
  addOptions(command: Command): void {
    command
      .option('--dnstap <endpoint...>', 'listen for dnstap (Frame Streams) from resolvers: unix:/path.sock or tcp:127.0.0.1:PORT (repeatable)')
      .option('--dnstap-allow-remote', 'let --dnstap tcp: listen on a non-loopback address (dnstap is unauthenticated clear text)')
      .addOption(new Option('--dnstap-max-connections <n>', 'open dnstap connections at most, per endpoint').default('64'))
      .addOption(new Option('--dnstap-idle <seconds>', 'close a started dnstap connection silent this long (the resolver reconnects)').default('300'))
      .addOption(new Option('--dnstap-socket-mode <octal>', 'file mode of dnstap unix sockets').default('660'));
  },
  create(flags, context) {
    const given = flags.dnstap;
    if (given === undefined) return null;
    const texts = (Array.isArray(given) ? given : [given]).map(String);
    const allowRemote = flags.dnstapAllowRemote === true;
    const endpoints = texts.map((text) => parseEndpoint(text, allowRemote));
    const labels = endpoints.map((e) => e.label);
    const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
    if (duplicate !== undefined) throw new UsageError(`serve: --dnstap ${duplicate} given twice`);
    const maxConnections = Number(flags.dnstapMaxConnections ?? '64');
    if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 65535) {
      throw new UsageError(`serve: --dnstap-max-connections takes a whole number from 1 to 65535, not '${String(flags.dnstapMaxConnections)}'`);
    }
    const idle = Number(flags.dnstapIdle ?? '300');
    if (!Number.isFinite(idle) || idle < 1 || idle > 86_400) throw new UsageError(`serve: --dnstap-idle takes seconds from 1 to 86400, not '${String(flags.dnstapIdle)}'`);
    const modeText = String(flags.dnstapSocketMode ?? '660');
    if (!/^0?[0-7]{3}$/.test(modeText)) throw new UsageError(`serve: --dnstap-socket-mode takes an octal mode such as 660, not '${modeText}'`);
    return new DnstapService({ endpoints, sink: context.observations, log: context.log, maxConnections, idleMs: idle * 1000, socketMode: parseInt(modeText, 8), governor: netGovernor(context), registry: context.registry });
  },
};

export { DnstapService } from './listener.js';
export type { DnstapOptions } from './listener.js';
export { parseEndpoint } from './endpoint.js';
export { isLoopback } from '../endpoint.js';
export type { Endpoint } from './endpoint.js';
