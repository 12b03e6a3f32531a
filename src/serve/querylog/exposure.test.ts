/**
 * The exposure tracker: who got a real answer under a registered domain,
 * bounded per domain and in domains (least recently asked evicted), which of
 * them a flag reports (its blocked zone, the window before the flag), and
 * each only once.
 */
import { describe, expect, it } from 'vitest';
import { aResponse } from '../../../test/helpers/observations.js';
import { emptyObservation } from '../../model/observation.js';
import { verdictFixture } from '../../store/store.case.js';
import { ExposureTracker } from './exposure.js';

const T = 1_764_930_000;

function answered(ts: number, name: string, client: string) {
  return aResponse(ts, name, ['198.51.100.1'], 30, { client });
}

describe('ExposureTracker', () => {
  it('reports the clients that got an answer under the blocked zone within the window, once', () => {
    const t = new ExposureTracker();
    t.observe(answered(T - 7200, 'www.flux.test', '10.0.0.1')); // before the window
    t.observe(answered(T - 60, 'www.flux.test', '10.0.0.2'));
    t.observe(answered(T - 30, 'cdn.flux.test', '10.0.0.3')); // another name under the same registered domain
    t.observe(answered(T - 10, 'www.other.test', '10.0.0.4')); // another domain
    t.observe(answered(T + 5, 'www.flux.test', '10.0.0.5')); // after the flag
    const probe = answered(T - 5, 'www.flux.test', '10.0.0.6');
    probe.origin = 'probe';
    t.observe(probe);
    const nx = emptyObservation(T - 5, 'www.flux.test', 'A');
    nx.rcode = 'NXDOMAIN';
    nx.client = '10.0.0.7';
    t.observe(nx);
    const v = verdictFixture('www.flux.test');
    expect(t.exposed(v, T, 3600).map((a) => [a.client, a.name, a.qtype, a.ts])).toEqual([
      ['10.0.0.2', 'www.flux.test', 'A', T - 60],
      ['10.0.0.3', 'cdn.flux.test', 'A', T - 30],
    ]);
    expect(t.exposed(v, T, 3600)).toEqual([]);
    expect(t.stats.exposed).toBe(2);
  });

  it('keeps one address with two customers (NAT; one named over DoH or DoT) as two exposures, each with its customer', () => {
    const t = new ExposureTracker();
    t.observe(answered(T - 60, 'www.flux.test', '192.0.2.50'));
    const named = answered(T - 50, 'www.flux.test', '192.0.2.50');
    named.customer = 'acme';
    t.observe(named);
    t.observe(answered(T - 40, 'www.flux.test', '192.0.2.50')); // the address's own again: replaces its first lookup
    expect(t.exposed(verdictFixture('www.flux.test'), T, 3600).map((a) => [a.client, a.customer, a.ts])).toEqual([
      ['192.0.2.50', 'acme', T - 50],
      ['192.0.2.50', null, T - 40],
    ]);
  });

  it('keeps to a delegated zone when the verdict names one', () => {
    const t = new ExposureTracker();
    t.observe(answered(T - 10, 'a.cust1.dyn.test', '10.0.0.1'));
    t.observe(answered(T - 10, 'b.cust2.dyn.test', '10.0.0.2'));
    const v = { ...verdictFixture('a.cust1.dyn.test'), registered_domain: 'dyn.test', zone: 'cust1.dyn.test' };
    expect(t.exposed(v, T, 3600).map((a) => a.client)).toEqual(['10.0.0.1']);
  });

  it('remembers each client once per domain (its latest lookup) and at most perDomain of them', () => {
    const t = new ExposureTracker(10, 3);
    for (let i = 0; i < 5; i++) t.observe(answered(T - 100 + i, 'www.flux.test', `10.0.0.${i}`));
    t.observe(answered(T - 50, 'x.flux.test', '10.0.0.3'));
    expect(t.exposed(verdictFixture('www.flux.test'), T, 3600).map((a) => [a.client, a.name])).toEqual([
      ['10.0.0.2', 'www.flux.test'],
      ['10.0.0.4', 'www.flux.test'],
      ['10.0.0.3', 'x.flux.test'],
    ]);
  });

  it('forgets the least recently asked domain first beyond maxDomains, and counts it', () => {
    const t = new ExposureTracker(3, 8);
    t.observe(answered(T - 10, 'a.one.test', '10.0.0.1'));
    t.observe(answered(T - 9, 'a.two.test', '10.0.0.1'));
    t.observe(answered(T - 8, 'a.three.test', '10.0.0.1'));
    t.observe(answered(T - 7, 'b.one.test', '10.0.0.2')); // one.test is used again: two.test is now the oldest
    t.observe(answered(T - 6, 'a.four.test', '10.0.0.1'));
    expect(t.size).toBe(3);
    expect(t.stats.evictions).toBe(1);
    expect(t.exposed(verdictFixture('a.two.test'), T, 3600)).toEqual([]);
    expect(t.exposed(verdictFixture('a.one.test'), T, 3600).map((a) => a.client)).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});
