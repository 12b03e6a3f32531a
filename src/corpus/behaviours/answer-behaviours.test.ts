/** The time-driven parts of the answer classes' behaviours (issue 13), on hand-made setups. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { NameLabel } from '../labels.js';
import { Prng } from '../prng.js';
import { ResponseBuilder, lateAnswers } from '../response.js';
import { copyObservation } from '../writers/sink-writer.js';
import { TextOutput } from '../writers/writer.js';
import { ZeekDnsWriter } from '../writers/zeek-dns.js';
import type { DomainBehaviour, QueryType, ZoneServers } from './behaviour.js';
import { InjectedName } from './injected.js';
import type { Middlebox } from './injected.js';
import { NonRoutableName } from './non-routable.js';

const SERVERS: ZoneServers = { zone: 'example.net', ns: ['ns1.example.net'], glue: [], ttl: 3600 };
const label = (name: string, cls: NameLabel['class']): NameLabel => ({ name, registeredDomain: 'example.net', class: cls, flux: null, network: null });

function exchange(b: DomainBehaviour, ts: number, rng: Prng, qtype: QueryType = 'A', withAuthority = true): ResponseBuilder {
  const out = new ResponseBuilder();
  out.begin(ts, b.label.name, qtype, '10.1.0.1');
  out.withAuthority = withAuthority;
  b.respond(ts, qtype, out, rng);
  return out;
}

const answers = (out: ResponseBuilder): string[] => out.observation.answers.map((r) => `${r.type} ${r.data} ${r.ttl}`);

/** A middlebox injecting from 50 documentation addresses (distinct enough to see every lookup change). */
function middlebox(over: Partial<Middlebox> = {}): Middlebox {
  const v4 = Array.from({ length: 50 }, (_, i) => `198.51.100.${i + 1}`);
  return { v4, v6: ['2001:db8::1', '2001:db8::2'], ttl: 60, lateShare: 0, ...over };
}

describe('InjectedName', () => {
  const real = { v4: ['203.0.113.7'], v6: [], ttl: 3600, phase: 0 };

  it('answers one forged address per lookup, fresh on every lookup, with the same TTL however close the lookups are', () => {
    const b = new InjectedName({ label: label('www.example.net', 'injected'), middlebox: middlebox(), real });
    const rng = new Prng(7);
    const seen: string[] = [];
    for (let ts = 1000; ts < 1040; ts += 2) {
      const out = answers(exchange(b, ts, rng));
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(/^A 198\.51\.100\.\d+ 60$/);
      seen.push(out[0] as string);
    }
    // 20 lookups within 40 s, inside one TTL: a cache would have answered one set; the middlebox changes it.
    const changes = seen.filter((a, i) => i > 0 && a !== seen[i - 1]).length;
    expect(changes).toBeGreaterThanOrEqual(17);
  });

  it('writes no authority section, forges AAAA from its IPv6 set, and answers AAAA with nothing when it has none', () => {
    const b = new InjectedName({ label: label('www.example.net', 'injected'), middlebox: middlebox(), real });
    const rng = new Prng(3);
    const out = exchange(b, 10, rng, 'AAAA');
    expect(answers(out)).toHaveLength(1);
    expect(answers(out)[0]).toMatch(/^AAAA 2001:db8::[12] 60$/);
    expect(out.observation.authority).toEqual([]);
    expect(out.observation.additional).toEqual([]);
    const none = new InjectedName({ label: label('www.example.net', 'injected'), middlebox: middlebox({ v6: [] }), real });
    expect(answers(exchange(none, 10, rng, 'AAAA'))).toEqual([]);
  });

  it('lets the real answer follow as a late second response, cached with its TTL counting down', () => {
    const b = new InjectedName({ label: label('www.example.net', 'injected'), middlebox: middlebox({ lateShare: 1 }), real });
    const rng = new Prng(5);
    const first = exchange(b, 100, rng);
    expect(lateAnswers(first.observation).map((r) => `${r.data} ${r.ttl}`)).toEqual(['203.0.113.7 3500']);
    expect(answers(first)[0]).not.toContain('203.0.113.7');
    const later = exchange(b, 600, rng);
    expect(lateAnswers(later.observation).map((r) => `${r.data} ${r.ttl}`)).toEqual(['203.0.113.7 3000']);
    // A copy keeps its own late response.
    const copy = copyObservation(later.observation);
    later.begin(700, 'other.example.net', 'A', '10.1.0.1');
    expect(lateAnswers(copy).map((r) => r.data)).toEqual(['203.0.113.7']);
    const never = new InjectedName({ label: label('www.example.net', 'injected'), middlebox: middlebox({ lateShare: 0 }), real });
    expect(lateAnswers(exchange(never, 100, rng).observation)).toEqual([]);
  });

  it('reaches a Zeek log with the first (forged) answer only', async () => {
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString('latin1');
        done();
      },
    });
    const zeek = new ZeekDnsWriter(new TextOutput(sink), { seed: 1, authAddl: true });
    const b = new InjectedName({ label: label('www.example.net', 'injected'), middlebox: middlebox({ lateShare: 1 }), real });
    const out = exchange(b, 1_743_638_400, new Prng(9));
    zeek.open(1_743_638_400);
    zeek.write(out.observation);
    await zeek.close(1_743_638_500);
    const line = text.split('\n').find((l) => l.includes('www.example.net')) ?? '';
    expect(line).toContain((out.observation.answers[0] as { data: string }).data);
    expect(line).not.toContain('203.0.113.7');
  });
});

describe('NonRoutableName', () => {
  const common = { label: label('nas.example.net', 'non-routable'), phase: 0, servers: SERVERS };

  it('rotates: a different address of its block at every refetch, cached in between', () => {
    const b = new NonRoutableName({ ...common, fixed: null, blocks: ['240.0.0.0/4'], blocksV6: [], perAnswer: 1, ttl: 10 });
    const rng = new Prng(11);
    const first = answers(exchange(b, 100, rng));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/^A (24\d|25[0-5])\./);
    expect(answers(exchange(b, 105, rng))).toEqual([(first[0] as string).replace(/ 10$/, ' 5')]);
    const addresses = new Set<string>();
    for (let ts = 200; ts < 2000; ts += 11) addresses.add((answers(exchange(b, ts, rng))[0] as string).split(' ')[1] as string);
    expect(addresses.size).toBeGreaterThan(150);
    for (const a of addresses) expect(Number(a.split('.')[0])).toBeGreaterThanOrEqual(240);
  });

  it('parks at a fixed address with its TTL counting down, and no authority when an upstream blocks it', () => {
    const b = new NonRoutableName({ ...common, fixed: { v4: ['0.0.0.0'], v6: ['::'] }, blocks: [], blocksV6: [], perAnswer: 1, ttl: 300, servers: null });
    const rng = new Prng(1);
    expect(answers(exchange(b, 1000, rng))).toEqual(['A 0.0.0.0 200']);
    expect(answers(exchange(b, 1100, rng))).toEqual(['A 0.0.0.0 100']);
    const v6 = exchange(b, 1100, rng, 'AAAA');
    expect(answers(v6)).toEqual(['AAAA :: 100']);
    expect(v6.observation.authority).toEqual([]);
  });

  it('spreads an answer over several blocks, IPv6 from its IPv6 blocks', () => {
    const b = new NonRoutableName({ ...common, fixed: null, blocks: ['10.0.0.0/8', '224.0.0.0/4', '198.18.0.0/15'], blocksV6: ['fe80::/10'], perAnswer: 3, ttl: 60 });
    const rng = new Prng(2);
    const firstOctets = new Set<number>();
    for (let ts = 0; ts < 6000; ts += 61) {
      const out = answers(exchange(b, ts, rng));
      expect(out.length).toBeGreaterThanOrEqual(1);
      for (const line of out) firstOctets.add(Number((line.split(' ')[1] as string).split('.')[0]));
    }
    expect([...firstOctets].some((o) => o === 10)).toBe(true);
    expect([...firstOctets].some((o) => o >= 224 && o < 240)).toBe(true);
    expect([...firstOctets].some((o) => o === 198)).toBe(true);
    for (const line of answers(exchange(b, 7000, rng, 'AAAA'))) expect(line).toMatch(/^AAAA fe[89ab][0-9a-f]:/);
  });
});
