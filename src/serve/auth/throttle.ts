/**
 * Failed authentications throttled per client: after `maxFailures` bad
 * tokens within `windowMs`, every request from that client is refused (429
 * with Retry-After) until the window that began with its first failure has
 * passed, valid token or not (so a guess can never be confirmed while
 * throttled). An IPv6 client is keyed by its /64, the block one host
 * usually holds. The table is bounded: past `maxClients` the entry that
 * failed longest ago is dropped, so a flood of addresses costs a fixed
 * amount of memory (and at worst lets a dropped client guess again).
 */

export interface ThrottleOptions {
  /** Bad tokens a client may present within the window. */
  maxFailures: number;
  windowMs: number;
  /** Clients remembered at most. */
  maxClients: number;
  now?: () => number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 10, windowMs: 60_000, maxClients: 10_000 };

interface Failures {
  since: number;
  count: number;
}

export class AuthThrottle {
  /** Insertion order is the order of each window's first failure: the first entry is the one to drop. */
  private readonly clients = new Map<string, Failures>();
  private readonly now: () => number;

  constructor(private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Seconds the client must wait before it is heard again, or 0 when it may try. */
  retryAfter(client: string): number {
    const key = throttleKey(client);
    const entry = this.clients.get(key);
    if (entry === undefined) return 0;
    const left = entry.since + this.options.windowMs - this.now();
    if (left <= 0) {
      this.clients.delete(key);
      return 0;
    }
    return entry.count >= this.options.maxFailures ? Math.ceil(left / 1000) : 0;
  }

  /** Records a bad token from `client`. */
  failed(client: string): void {
    const key = throttleKey(client);
    const now = this.now();
    const entry = this.clients.get(key);
    if (entry !== undefined && now - entry.since < this.options.windowMs) {
      entry.count++;
      return;
    }
    if (entry !== undefined) this.clients.delete(key);
    else if (this.clients.size >= this.options.maxClients) this.clients.delete(this.clients.keys().next().value!);
    this.clients.set(key, { since: now, count: 1 });
  }
}

/** The client's IPv4 address, or the /64 of its IPv6 address ('2001:db8:0:1::/64'). */
export function throttleKey(address: string): string {
  if (!address.includes(':') || address.startsWith('::ffff:')) return address;
  const [head = '', tail] = address.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (g.replace(/^0+/, '') || '0').toLowerCase())
    .join(':')}::/64`;
}
