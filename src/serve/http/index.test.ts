import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { defaultConfig } from '../../config/schema.js';
import { Daemon } from '../daemon.js';
import { HttpService, httpService } from './index.js';

const daemon = new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
const http = new HttpService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context);
daemon.services.push(http);
const url = (path: string): string => `http://127.0.0.1:${http.port}${path}`;

beforeAll(() => http.start());
afterAll(() => http.stop());

describe('http service', () => {
  it('serves the daemon metrics, with every service in them', async () => {
    const res = await fetch(url('/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^fluxhound_flagged_domains 0$/m);
    expect(text).toMatch(/^fluxhound_http_requests_total \d+$/m);
  });

  it('says it is healthy', async () => {
    const res = await fetch(url('/health'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', flagged_domains: 0 });
  });

  it('is read-only and knows only its two paths', async () => {
    expect((await fetch(url('/metrics'), { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(url('/admin'))).status).toBe(404);
    expect((await fetch(url('/health'), { method: 'HEAD' })).status).toBe(200);
  });

  it('is off without --http and rejects a bad address in one line', () => {
    expect(httpService().create({}, daemon.context)).toBeNull();
    expect(() => httpService().create({ http: 'nowhere' }, daemon.context)).toThrow(/--http: 'nowhere'/);
  });
});
