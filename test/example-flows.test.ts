/**
 * The bundled example's conn.log (scripts/example-flows.ts) is what the
 * generator makes from the bundled dns.log: regenerate both with
 * `npm run example`. Its story holds: the bypass and P2P hosts never ask the
 * resolver, every browsing connection goes to an address the name answered.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BYPASS_HOST, EXAMPLE_CONN_LOG, exampleConnLog, INBOUND_HOST, P2P_HOST, P2P_PEERS } from '../scripts/example-flows.js';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');
const dnsLog = readFileSync(join(EXAMPLES, 'example.dns.log'));
const labels = readFileSync(join(EXAMPLES, 'example.labels.csv'), 'utf8');

describe('examples/example.conn.log', () => {
  const fresh = exampleConnLog(dnsLog, labels);
  if (process.env.UPDATE_EXAMPLE_FLOWS === '1') writeFileSync(join(EXAMPLES, EXAMPLE_CONN_LOG), fresh);

  it('is what the generator makes from the bundled dns.log (run `npm run example` after changing either)', () => {
    expect(readFileSync(join(EXAMPLES, EXAMPLE_CONN_LOG), 'utf8')).toBe(fresh);
  });

  it('tells the documented story', () => {
    const rows = fresh.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t'));
    const dnsClients = new Set(dnsLog.toString('utf8').split('\n').filter((l) => !l.startsWith('#')).map((l) => l.split('\t')[2]));
    expect(dnsClients.has(BYPASS_HOST)).toBe(false);
    expect(dnsClients.has(P2P_HOST)).toBe(false);
    expect(rows.filter((r) => r[2] === BYPASS_HOST)).toHaveLength(3);
    expect(rows.filter((r) => r[4] === INBOUND_HOST && r[5] === '445')).toHaveLength(2);
    expect(new Set(rows.filter((r) => r[2] === P2P_HOST).map((r) => r[4])).size).toBe(P2P_PEERS);
    // Every other connection goes from a client of the DNS log to an address some lookup answered.
    const answered = new Set(dnsLog.toString('utf8').split('\n').filter((l) => !l.startsWith('#')).flatMap((l) => (l.split('\t')[21] ?? '').split(',')));
    for (const r of rows.filter((r) => r[2] !== P2P_HOST && r[2] !== BYPASS_HOST && r[4] !== INBOUND_HOST)) {
      expect(dnsClients.has(r[2])).toBe(true);
      expect(answered.has(r[4]!)).toBe(true);
    }
    const times = rows.map((r) => Number(r[0]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
