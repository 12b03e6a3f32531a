/** An exposure and a fan-out as the flow analysis reports them, for the report tests. */
import type { Exposure, FanOut } from '../../model/flow.js';

export function exposure(over: Partial<Exposure> = {}): Exposure {
  return {
    record: 'exposure',
    client: '10.1.0.7',
    customer: null,
    address: '198.51.100.23',
    domain: 'my.flux.example',
    network: 'fn-1',
    first: '2025-04-03T00:16:30.000Z',
    last: '2025-04-03T00:17:02.000Z',
    flows: 3,
    bytes: 1_234_567,
    packets: 900,
    sampled: false,
    direction: 'outbound',
    bypass: false,
    reason: '10.1.0.7 connected to 198.51.100.23 (my.flux.example, fn-1) in 3 flows',
    ...over,
  };
}

export function fanOut(over: Partial<FanOut> = {}): FanOut {
  return {
    record: 'fan-out',
    host: '10.1.0.66',
    customer: 'acme',
    distinct: 250,
    flux: 12,
    window: 300,
    first: '2025-04-03T01:00:00.000Z',
    last: '2025-04-03T01:04:59.000Z',
    flows: 400,
    reasons: ['contacted 250 distinct external addresses in 300 s, 12 of them flux hosts'],
    ...over,
  };
}
