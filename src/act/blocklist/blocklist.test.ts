import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.js';
import type { Infra } from '../../enrich/infra/index.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { Allowlist } from '../rpz/allowlist.js';
import { FluxAddresses, type FluxAddressOptions } from './addresses.js';
import { formatBlocklist } from './formats.js';
import { blocklistSink } from './sink.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-blocklist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Knows one CDN range: 192.0.2.0/24. */
const infra = { providerOfAddress: (a: string) => (a.startsWith('192.0.2.') ? 0 : -1) } as unknown as Infra;
const WEEK = 604_800;
const options = (over: Partial<FluxAddressOptions> = {}): FluxAddressOptions => ({
  actions: { 'fast-flux': 'nxdomain', suspicious: 'log' },
  allowlist: new Allowlist(['198.51.100.0/28', 'good.example']),
  infra,
  expiry: WEEK,
  ...over,
});
const HOSTILE = 'evil\n flush ruleset;"`$(reboot)`.example';

function sample(): FluxAddresses {
  const a = new FluxAddresses(options());
  a.add(
    flaggedVerdict(HOSTILE, {
      addresses: ['203.0.113.5', '2001:db8::7', { address: '203.0.113.6', known: true }, '192.0.2.8', '198.51.100.3', 'not-an-ip', '::ffff:203.0.113.9'],
      firstSeen: '2025-04-03T00:00:00.000Z',
      lastSeen: '2025-04-03T01:00:00.000Z',
    }),
  );
  a.add(flaggedVerdict('sus.example', { label: 'suspicious', addresses: ['203.0.113.77'] }));
  a.add(flaggedVerdict('www.good.example', { registered: 'good.example', addresses: ['203.0.113.78'] }));
  return a;
}
const NOW = Date.parse('2025-04-03T02:00:00.000Z') / 1000;

describe('flux addresses', () => {
  it('lists the flux addresses only: no CDN/cloud, allowlisted, log-action or malformed ones', () => {
    const a = sample();
    expect(a.list().map((e) => e.address)).toEqual(['203.0.113.5', '203.0.113.9', '2001:db8::7']);
    expect(a.stats.skipped).toBe(4);
  });

  it('keeps first and last sighting per address, the latest domain, and expires quiet ones', () => {
    const a = new FluxAddresses(options({ expiry: 3600 }));
    a.add(flaggedVerdict('a.example', { addresses: ['203.0.113.5'], firstSeen: '2025-04-03T00:00:00.000Z', lastSeen: '2025-04-03T00:30:00.000Z' }));
    a.add(flaggedVerdict('b.example', { addresses: ['203.0.113.5', '203.0.113.6'], firstSeen: '2025-04-03T00:10:00.000Z', lastSeen: '2025-04-03T01:00:00.000Z' }));
    a.add(flaggedVerdict('c.example', { addresses: ['203.0.113.7'], lastSeen: '2025-04-02T20:00:00.000Z', firstSeen: '2025-04-02T19:00:00.000Z' }));
    const five = a.list()[0]!;
    expect(five).toMatchObject({ address: '203.0.113.5', domain: 'b.example', firstSeen: Date.parse('2025-04-03T00:00:00Z') / 1000, lastSeen: Date.parse('2025-04-03T01:00:00Z') / 1000 });
    expect(a.expire(a.newest()!)).toBe(1);
    expect(a.list().map((e) => e.address)).toEqual(['203.0.113.5', '203.0.113.6']);
  });
});

describe('blocklist formats', () => {
  const text = (format: 'plain' | 'nftables' | 'ipset') => [...formatBlocklist(sample().list(), format, { now: NOW, expiry: WEEK })].join('');

  it('plain: one address per line, comments escaped onto the same line', () => {
    const lines = text('plain').split('\n').filter((l) => !l.startsWith('#') && l !== '');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('203.0.113.5  # first 2025-04-03T00:00:00.000Z last 2025-04-03T01:00:00.000Z evil\\010\\032flush\\032ruleset\\059\\034`\\036\\040reboot\\041`.example');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['203.0.113.5', '203.0.113.9', '2001:db8::7']);
  });

  it('nftables: sets with timeouts and drop rules in table inet fluxhound; a name cannot leave its comment', () => {
    const nft = text('nftables');
    // Strip comments the way nft does (to end of line): what remains must be exactly the script.
    const code = nft.split('\n').map((l) => l.replace(/#.*$/, '').trimEnd()).filter((l) => l !== '').join('\n');
    expect(code).toBe(
      [
        'table inet fluxhound',
        'delete table inet fluxhound',
        'table inet fluxhound {',
        '\tset fluxhound4 {',
        '\t\ttype ipv4_addr',
        '\t\tflags timeout',
        '\t\telements = {',
        `\t\t\t203.0.113.5 timeout ${WEEK - 3600}s,`,
        `\t\t\t203.0.113.9 timeout ${WEEK - 3600}s`,
        '\t\t}',
        '\t}',
        '\tset fluxhound6 {',
        '\t\ttype ipv6_addr',
        '\t\tflags timeout',
        '\t\telements = {',
        `\t\t\t2001:db8::7 timeout ${WEEK - 3600}s`,
        '\t\t}',
        '\t}',
        '\tchain output {',
        '\t\ttype filter hook output priority filter - 10; policy accept;',
        '\t\tip daddr @fluxhound4 counter drop',
        '\t\tip6 daddr @fluxhound6 counter drop',
        '\t}',
        '\tchain forward {',
        '\t\ttype filter hook forward priority filter - 10; policy accept;',
        '\t\tip daddr @fluxhound4 counter drop',
        '\t\tip6 daddr @fluxhound6 counter drop',
        '\t}',
        '}',
      ].join('\n'),
    );
  });

  it('nftables: an empty list is still a loadable script (no empty element block)', () => {
    const nft = [...formatBlocklist([], 'nftables', { now: NOW, expiry: WEEK })].join('');
    expect(nft).not.toContain('elements');
    expect(nft).toContain('set fluxhound4 {');
  });

  it('ipset: restore input with -exist and timeouts, filled into a spare set and swapped in', () => {
    const commands = text('ipset').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(commands).toEqual([
      `create fluxhound4 hash:ip family inet timeout ${WEEK} maxelem 1048576 -exist`,
      `create fluxhound4-next hash:ip family inet timeout ${WEEK} maxelem 1048576 -exist`,
      'flush fluxhound4-next',
      `add fluxhound4-next 203.0.113.5 timeout ${WEEK - 3600} -exist`,
      `add fluxhound4-next 203.0.113.9 timeout ${WEEK - 3600} -exist`,
      'swap fluxhound4-next fluxhound4',
      'destroy fluxhound4-next',
      `create fluxhound6 hash:ip family inet6 timeout ${WEEK} maxelem 1048576 -exist`,
      `create fluxhound6-next hash:ip family inet6 timeout ${WEEK} maxelem 1048576 -exist`,
      'flush fluxhound6-next',
      `add fluxhound6-next 2001:db8::7 timeout ${WEEK - 3600} -exist`,
      'swap fluxhound6-next fluxhound6',
      'destroy fluxhound6-next',
    ]);
    expect(text('ipset')).toContain('# first 2025-04-03T00:00:00.000Z last 2025-04-03T01:00:00.000Z evil\\010\\032flush');
  });

  it('analyze sink: expiry counts from the newest sighting of the run, and the file is written atomically', async () => {
    const path = join(dir, 'list.txt');
    const config = defaultConfig();
    const sink = blocklistSink(path, 'plain', { ...options(), expiry: 3600 });
    sink.verdict(flaggedVerdict('old.example', { addresses: ['203.0.113.1'], lastSeen: '2025-04-01T00:00:00.000Z', firstSeen: '2025-04-01T00:00:00.000Z' }));
    sink.verdict(flaggedVerdict('new.example', { addresses: ['203.0.113.2'] }));
    await sink.close();
    const listed = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(listed.map((l) => l.split(' ')[0])).toEqual(['203.0.113.2']);
    expect(sink.stats).toMatchObject({ listed: 1, expired: 1 });
    expect(config.policy.expiry).toBe(WEEK);
  });
});

describe('intel provenance in the blocklist comment', () => {
  it('names the feed entry listing the address, escaped onto the same line; other addresses of the verdict carry none', () => {
    const a = new FluxAddresses(options());
    const v = flaggedVerdict('pay.evil-flux.example', { addresses: ['203.0.113.5', '203.0.113.9'] });
    v.intel = [{ feed: 'partner\n flush ruleset', ref: 'partner-a.txt:2', kind: 'address', value: '203.0.113.5', note: '', confidence: 50, action: 'log' }];
    a.add(v);
    const lines = [...formatBlocklist(a.list(), 'plain', { now: NOW, expiry: WEEK })].join('').split('\n').filter((l) => !l.startsWith('#') && l !== '');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^203\.0\.113\.5  # first .* pay\.evil-flux\.example intel partner\\010\\032flush\\032ruleset partner-a\.txt:2$/);
    expect(lines[1]).not.toContain('intel');
  });
});
