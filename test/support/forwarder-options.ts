/**
 * The forwarder options tests start from: loopback only, no rate limit, a
 * 1 MiB cache, generous pending budgets, one upstream on 127.0.0.1. A test
 * overrides what it is about.
 */
import type { ForwarderOptions } from '../../src/serve/dns/forwarder.js';

export function testForwarderOptions(upstreamPort: number, overrides: Partial<ForwarderOptions> = {}): ForwarderOptions {
  return {
    listen: { host: '127.0.0.1', port: 0, family: 4 },
    upstreams: [{ host: '127.0.0.1', port: upstreamPort, family: 4 }],
    allow: ['127.0.0.0/8'],
    rateLimit: 0,
    timeout: 1000,
    cacheBytes: 1 << 20,
    cacheAnswerBytes: 16_384,
    maxTtl: 86400,
    maxPending: 1000,
    maxPendingPerClient: 64,
    detectorQueue: 1000,
    ...overrides,
  };
}
