import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import packet from 'dns-packet';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, defaultConfig } from '../../config/schema.js';
import { loadInfra } from '../../enrich/infra/index.js';
import { UsageError } from '../../model/errors.js';
import { aResponse } from '../../../test/helpers/observations.js';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { startAnsweringAuthority, type AnsweringAuthority } from '../../../test/support/answer-all.js';
import { waitFor } from '../../../test/support/daemon.js';
import { Daemon } from '../daemon.js';
import { ActiveConfirmation, confirmService } from './index.js';

const silent = pino({ level: 'silent' });

function daemonWith(flags: Record<string, unknown>, config = defaultConfig()): Daemon {
  return new Daemon({ config, enricher: octetEnricher, infra: loadInfra(), log: silent, out: null, factories: [confirmService()], flags });
}

describe('confirm service options', () => {
  it('is off unless --confirm or serve.confirm.enabled', () => {
    expect(daemonWith({ upstream: ['127.0.0.1:53'] }).services).toHaveLength(0);
    expect(daemonWith({ confirm: true, upstream: ['127.0.0.1:53'] }).services[0]).toBeInstanceOf(ActiveConfirmation);
    const config = defaultConfig();
    config.serve.confirm.enabled = true;
    config.serve.dns.upstreams = ['127.0.0.1:53'];
    expect(daemonWith({}, config).services[0]?.name).toBe('confirm');
  });

  it('refuses to run without an upstream to probe through, in one line', () => {
    expect(() => daemonWith({ confirm: true })).toThrow(UsageError);
    expect(() => daemonWith({ confirm: true })).toThrow(/^serve: --confirm needs an upstream resolver/);
    expect(() => daemonWith({ confirm: true, upstream: ['not an address'] })).toThrow(UsageError);
  });

  it('the config refuses a minInterval above maxInterval, and query types other than A, AAAA, NS', () => {
    expect(configSchema.safeParse({ serve: { confirm: { minInterval: 10, maxInterval: 5 } } }).success).toBe(false);
    expect(configSchema.safeParse({ serve: { confirm: { qtypes: ['MX'] } } }).success).toBe(false);
    expect(configSchema.safeParse({ serve: { confirm: { qtypes: [] } } }).success).toBe(false);
    expect(defaultConfig().serve.confirm).toEqual({ enabled: false, minInterval: 5, maxInterval: 120, maxProbesPerName: 12, maxNames: 1000, ratePerSecond: 20, qtypes: ['A', 'AAAA', 'NS'] });
  });
});

describe('confirm service in a daemon, probing a real loopback authority', () => {
  let authority: AnsweringAuthority | null = null;
  let daemon: Daemon | null = null;
  afterEach(async () => {
    await daemon?.stop();
    await authority?.close();
    daemon = authority = null;
  });

  async function start(addressFor: (name: string) => string): Promise<{ daemon: Daemon; service: ActiveConfirmation }> {
    authority = await startAnsweringAuthority(addressFor);
    const config = defaultConfig();
    Object.assign(config.serve.confirm, { minInterval: 0.1, maxInterval: 0.2, maxProbesPerName: 3, qtypes: ['A'] });
    daemon = daemonWith({ confirm: true, upstream: [`127.0.0.1:${authority.port}`] }, config);
    await daemon.start();
    return { daemon, service: daemon.services[0] as ActiveConfirmation };
  }

  /** A client lookup answering four public addresses in four networks (four ASNs under the octet enricher), TTL 1: suspicious from one lookup. */
  function clientLookup(d: Daemon, name: string): void {
    d.context.observations.observe(aResponse(Date.now() / 1000, name, ['81.1.1.1', '82.1.1.1', '83.1.1.1', '84.1.1.1'], 1, { client: '192.0.2.1' }));
  }

  it('feeds the probe answer to the detector marked as a probe, and gives a name up once its answers show a known CDN', async () => {
    const { daemon: d, service } = await start(() => '151.101.1.1');
    clientLookup(d, 'www.shop-cdn.example');
    expect(d.context.detector.current('www.shop-cdn.example')!.verdict).toBe('suspicious');
    expect(service.schedule.has('www.shop-cdn.example')).toBe(true);
    const active = d.context.flagged.lastActive('www.shop-cdn.example');
    expect(active).not.toBeNull();
    // Time passed on: the first round is due.
    expect(service.poll(Date.now() + 60_000)).toBe(1);
    await waitFor('the probe answered', () => service.schedule.stats.answered === 1, 10_000, 10);
    const v = d.context.detector.current('www.shop-cdn.example')!;
    expect(v.probes).toBe(1);
    expect(v.features.clients).toBe(1);
    expect(v.evidence.addresses.some((a) => a.address === '151.101.1.1' && a.known)).toBe(true);
    expect(service.schedule.stats.givenUp.get('known-later')).toBe(1);
    // Only clients keep a flagged name active (policy.expiry): a probe is no client.
    expect(d.context.flagged.lastActive('www.shop-cdn.example')).toBe(active);
    expect(service.schedule.has('www.shop-cdn.example')).toBe(false);
  });

  it('never admits an allowlisted name, and stops when stopped', async () => {
    const config = defaultConfig();
    config.policy.allowlist = ['allowed.example'];
    authority = await startAnsweringAuthority(() => '85.1.1.1');
    daemon = daemonWith({ confirm: true, upstream: [`127.0.0.1:${authority.port}`] }, config);
    await daemon.start();
    const service = daemon.services[0] as ActiveConfirmation;
    clientLookup(daemon, 'www.allowed.example');
    expect(service.schedule.stats.skipped.get('allowlisted')).toBe(1);
    expect(service.poll(Date.now() + 60_000)).toBe(0);
    clientLookup(daemon, 'www.other.example');
    await daemon.stop();
    expect(service.schedule.size).toBe(0);
    expect(service.poll(Date.now() + 60_000)).toBe(0);
  });
});

describe('confirm service: a truncated probe answer', () => {
  let socket: UdpSocket | null = null;
  let daemon: Daemon | null = null;
  afterEach(async () => {
    await daemon?.stop();
    await new Promise<void>((resolve) => (socket === null ? resolve() : socket.close(() => resolve())));
    daemon = socket = null;
  });

  /** An upstream on 127.0.0.1 that answers every query over UDP truncated (TC), and listens on no TCP port. */
  async function truncatingUpstream(): Promise<number> {
    const s = createSocket('udp4');
    socket = s;
    s.on('message', (message, peer) => {
      const request = packet.decode(message);
      s.send(packet.encode({ id: request.id, type: 'response', flags: packet.TRUNCATED_RESPONSE, questions: request.questions, answers: [] }), peer.port, peer.address);
    });
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    return s.address().port;
  }

  async function probeOnce(ratePerSecond: number): Promise<ActiveConfirmation> {
    const port = await truncatingUpstream();
    const config = defaultConfig();
    Object.assign(config.serve.confirm, { minInterval: 0.1, maxInterval: 0.2, maxProbesPerName: 3, qtypes: ['A'], ratePerSecond });
    daemon = daemonWith({ confirm: true, upstream: [`127.0.0.1:${port}`] }, config);
    await daemon.start();
    const service = daemon.services[0] as ActiveConfirmation;
    daemon.context.observations.observe(aResponse(Date.now() / 1000, 'www.tc.example', ['81.1.1.1', '82.1.1.1', '83.1.1.1', '84.1.1.1'], 1, { client: '192.0.2.1' }));
    expect(service.schedule.has('www.tc.example')).toBe(true);
    // Far enough ahead that the timer's polls (at the real clock) neither send nor refill before the retry.
    expect(service.poll(Date.now() + 3_600_000)).toBe(1);
    await waitFor('the probe settled', () => service.schedule.stats.failed === 1, 10_000, 10);
    return service;
  }

  it('charges the TCP retry against ratePerSecond and counts it sent', async () => {
    const service = await probeOnce(5);
    expect(service.schedule.stats).toMatchObject({ sent: 2, failed: 1, rateLimited: 0 });
  });

  it('refuses the TCP retry when no token is left, counting it rate-limited', async () => {
    const service = await probeOnce(1);
    expect(service.schedule.stats).toMatchObject({ sent: 1, failed: 1, rateLimited: 1 });
  });
});
