/**
 * A flag of an encrypted listener given without the listener (--dot-cert
 * without --dot, --doh-key without --doh, --dot-customer-domain without
 * --dot) would be silently dropped: it is a one-line usage error (exit 2).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { defaultConfig } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { Daemon } from '../daemon.js';
import { forwarderOptions } from './index.js';

describe('encrypted listener flags without their listener', () => {
  const config = { ...defaultConfig(), customers: [{ id: 'acme', name: 'Acme', contact: '', networks: ['198.51.100.0/24'] }] };
  const context = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} }).context;
  const base = { dns: '127.0.0.1:5353', upstream: ['127.0.0.1:53'] };

  it.each([
    ['--dot-cert without --dot', { ...base, dotCert: 'c.pem', dotKey: 'k.pem' }, 'serve: --dot-cert needs --dot'],
    ['--dot-key without --dot', { ...base, dotKey: 'k.pem' }, 'serve: --dot-key needs --dot'],
    ['--doh-key without --doh', { ...base, dohKey: 'k.pem' }, 'serve: --doh-key needs --doh'],
    ['--doh-cert without --doh or --dns', { dohCert: 'c.pem' }, 'serve: --doh-cert needs --doh'],
    ['--dot-customer-domain without --dot', { ...base, dotCustomerDomain: 'dns.example.net' }, 'serve: --dot-customer-domain needs --dot'],
  ])('refuses %s in one line', (_what, flags, message) => {
    expect(() => forwarderOptions(flags, context)).toThrow(UsageError);
    expect(() => forwarderOptions(flags, context)).toThrow(message);
  });

  it('takes the same flags with their listener', () => {
    const options = forwarderOptions({ ...base, dot: '127.0.0.1:8853', dotCert: 'c.pem', dotKey: 'k.pem', dotCustomerDomain: 'dns.example.net', doh: '127.0.0.1:8443', dohCert: 'c.pem', dohKey: 'k.pem' }, context);
    expect(options?.dot?.customerDomain).toBe('dns.example.net');
    expect(options?.doh?.tls).toEqual({ cert: 'c.pem', key: 'k.pem' });
  });
});
