import { describe, expect, it } from 'vitest';
import { AuthThrottle, throttleKey } from './throttle.js';

describe('auth throttle', () => {
  it('lets a client fail maxFailures times, then holds it until its window has passed', () => {
    let now = 1_000_000;
    const throttle = new AuthThrottle({ maxFailures: 3, windowMs: 60_000, maxClients: 100, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfter('192.0.2.1')).toBe(0);
      throttle.failed('192.0.2.1');
    }
    expect(throttle.retryAfter('192.0.2.1')).toBe(60);
    expect(throttle.retryAfter('192.0.2.2')).toBe(0);
    now += 45_500;
    expect(throttle.retryAfter('192.0.2.1')).toBe(15);
    now += 14_500;
    expect(throttle.retryAfter('192.0.2.1')).toBe(0);
    expect(throttle.size).toBe(0);
  });

  it('starts a new window after an old one ran out', () => {
    let now = 0;
    const throttle = new AuthThrottle({ maxFailures: 2, windowMs: 1000, maxClients: 100, now: () => now });
    throttle.failed('a');
    now = 1500;
    throttle.failed('a');
    expect(throttle.retryAfter('a')).toBe(0);
    throttle.failed('a');
    expect(throttle.retryAfter('a')).toBe(1);
  });

  it('holds at most maxClients, forgetting the oldest window first', () => {
    let now = 0;
    const throttle = new AuthThrottle({ maxFailures: 1, windowMs: 60_000, maxClients: 1000, now: () => now });
    throttle.failed('198.51.100.1');
    for (let i = 0; i < 5000; i++) {
      now++;
      throttle.failed(`10.0.${i >> 8}.${i & 255}`);
    }
    expect(throttle.size).toBe(1000);
    expect(throttle.retryAfter('198.51.100.1')).toBe(0);
    expect(throttle.retryAfter('10.0.19.135')).toBeGreaterThan(0);
  });

  it('counts an IPv6 client by its /64', () => {
    expect(throttleKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(throttleKey('2001:db8:0:1:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(throttleKey('2001:DB8::1')).toBe('2001:db8:0:0::/64');
    expect(throttleKey('::1')).toBe('0:0:0:0::/64');
    expect(throttleKey('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(throttleKey('192.0.2.1')).toBe('192.0.2.1');
    const throttle = new AuthThrottle({ maxFailures: 2, windowMs: 60_000, maxClients: 10 });
    throttle.failed('2001:db8:0:1::a');
    throttle.failed('2001:db8:0:1::b');
    expect(throttle.retryAfter('2001:db8:0:1::c')).toBe(60);
    expect(throttle.retryAfter('2001:db8:0:2::c')).toBe(0);
  });
});
