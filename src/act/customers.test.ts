import { describe, expect, it } from 'vitest';
import { CustomerMap } from './customers.js';

const acme = { id: 'acme', name: 'ACME Ltd', contact: 'soc@acme.example', networks: ['192.0.2.0/24', '2001:db8:1::/48'] };
const lab = { id: 'lab', name: 'ACME lab', contact: '', networks: ['192.0.2.128/25', '198.51.100.7'] };

describe('CustomerMap', () => {
  const map = new CustomerMap([acme, lab]);

  it('attributes a client to the customer of the longest matching prefix', () => {
    expect(map.customerOf('192.0.2.10')?.id).toBe('acme');
    expect(map.customerOf('192.0.2.200')?.id).toBe('lab');
    expect(map.customerOf('198.51.100.7')?.id).toBe('lab');
    expect(map.customerOf('198.51.100.8')).toBeNull();
  });

  it('reads IPv6 clients, v4-mapped clients and zone ids', () => {
    expect(map.customerOf('2001:db8:1:ff::9')?.id).toBe('acme');
    expect(map.customerOf('2001:db8:2::9')).toBeNull();
    expect(map.customerOf('::ffff:192.0.2.9')?.id).toBe('acme');
    expect(map.customerOf('2001:db8:1::1%eth0')?.id).toBe('acme');
  });

  it('gives null for junk and for an empty map', () => {
    expect(map.customerOf('not an address')).toBeNull();
    expect(new CustomerMap([]).customerOf('192.0.2.1')).toBeNull();
  });

  it('refuses a bad network and one claimed by two customers, naming the entry', () => {
    expect(() => new CustomerMap([{ ...acme, networks: ['192.0.2.0/33'] }])).toThrow(/customers\[0\]\.networks\[0\]: "192\.0\.2\.0\/33" is not an address or CIDR/);
    expect(() => new CustomerMap([acme, { ...lab, networks: ['192.0.2.0/24'] }])).toThrow(/customers\[1\]\.networks\[0\]: 192\.0\.2\.0\/24 already belongs to customer acme/);
  });

  it('finds a customer by id', () => {
    expect(map.get('lab')?.name).toBe('ACME lab');
    expect(map.get('nobody')).toBeNull();
  });
});
