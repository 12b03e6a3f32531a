import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../config/load.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { findBinary } from '../../../test/support/binaries.js';
import { Allowlist } from './allowlist.js';
import { addressTrigger, presentName } from './names.js';
import { decodeName, parseZone } from '../../../test/support/parse-zone.js';
import { nameToWire } from '../../dns/name-writer.js';
import { buildRpzZone, emptyBuildStats, formatZone, nextSerial, rpzOptionsOf, type RpzOptions } from './zone.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-rpz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function options(overrides: Record<string, unknown> = {}, allow: string[] = []): RpzOptions {
  const o = rpzOptionsOf(validateConfig(overrides, 'test'));
  o.allowlist = new Allowlist(allow);
  return o;
}

/** `owner type data` lines of the policy records. */
function lines(o: RpzOptions, verdicts = [flaggedVerdict('www.evil.example', { registered: 'evil.example' })]): string[] {
  return buildRpzZone(verdicts, o, 7).records.map((r) => `${r.owner} ${r.type} ${r.data}`);
}

describe('RPZ triggers and actions', () => {
  it('blocks the name and its registered domain, each with a wildcard, NXDOMAIN by default', () => {
    expect(lines(options())).toEqual([
      'www.evil.example CNAME .',
      '*.www.evil.example CNAME .',
      'evil.example CNAME .',
      '*.evil.example CNAME .',
    ]);
  });

  it.each([
    ['nxdomain', {}, ['CNAME .']],
    ['nodata', {}, ['CNAME *.']],
    ['drop', {}, ['CNAME rpz-drop.']],
    ['sinkhole', {}, ['A 127.0.0.1', 'AAAA ::1']],
    ['sinkhole', { sinkhole: { name: 'blocked.example.net' } }, ['CNAME blocked.example.net.']],
    ['sinkhole', { sinkhole: { ipv4: '192.0.2.53', ipv6: '2001:db8::53' } }, ['A 192.0.2.53', 'AAAA 2001:db8::53']],
    ['log', {}, []],
  ])('action %s %j', (action, policy, data) => {
    const got = lines(options({ policy: { fastFlux: action, ...policy } }), [flaggedVerdict('evil.example')]);
    expect(got).toEqual([...data.map((d) => `evil.example ${d}`), ...data.map((d) => `*.evil.example ${d}`)]);
  });

  it('uses the action of each verdict label; benign verdicts never appear', () => {
    const o = options({ policy: { fastFlux: 'nxdomain', suspicious: 'nodata' } });
    const got = lines(o, [
      flaggedVerdict('sus.example', { label: 'suspicious' }),
      flaggedVerdict('benign.example', { label: 'benign' }),
      flaggedVerdict('ff.example'),
    ]);
    expect(got).toEqual(['ff.example CNAME .', '*.ff.example CNAME .', 'sus.example CNAME *.', '*.sus.example CNAME *.']);
  });

  it('lets the stronger verdict hold a shared registered domain, whatever the input order', () => {
    const o = options({ policy: { fastFlux: 'nxdomain', suspicious: 'nodata' } });
    const a = flaggedVerdict('a.evil.example', { registered: 'evil.example', label: 'suspicious' });
    const b = flaggedVerdict('b.evil.example', { registered: 'evil.example' });
    expect(lines(o, [a, b])).toEqual(lines(o, [b, a]));
    expect(lines(o, [a, b])).toContain('evil.example CNAME .');
    expect(lines(o, [a, b]).filter((l) => l.startsWith('evil.example '))).toHaveLength(1);
  });

  it('double flux: rpz-nsdname by default, rpz-nsip and rpz-ip only when asked, never for known or allowlisted addresses', () => {
    const v = flaggedVerdict('evil.example', {
      flux: 'double',
      nameServers: ['ns1.evil-dns.example', 'ns.allowed.example'],
      nsAddresses: ['198.51.100.7', '2001:db8:0:0:1::9'],
      addresses: ['203.0.113.5', { address: '203.0.113.6', known: true }, '192.0.2.99', '::ffff:198.51.100.200'],
    });
    const triggers = (got: string[]) => got.filter((l) => l.split(' ')[0]!.includes('rpz-'));
    expect(triggers(lines(options({}, ['allowed.example']), [v]))).toEqual([
      'ns1.evil-dns.example.rpz-nsdname CNAME .',
    ]);
    const all = lines(options({ rpz: { nsip: true, ip: true, nsdname: false } }, ['192.0.2.99']), [v]);
    expect(triggers(all)).toEqual([
      '32.99.2.0.192.rpz-ip CNAME rpz-passthru.',
      '32.99.2.0.192.rpz-nsip CNAME rpz-passthru.',
      '32.7.100.51.198.rpz-nsip CNAME .',
      '128.9.0.0.1.zz.db8.2001.rpz-nsip CNAME .',
      '32.5.113.0.203.rpz-ip CNAME .',
      '32.200.100.51.198.rpz-ip CNAME .',
    ]);
  });

  it('writes addresses in the RPZ reversed forms', () => {
    expect(addressTrigger('1.2.3.4')).toBe('32.4.3.2.1');
    expect(addressTrigger('192.0.2.77', 24)).toBe('24.0.2.0.192');
    expect(addressTrigger('2001:db8::1')).toBe('128.1.zz.db8.2001');
    expect(addressTrigger('2001:db8:0:0:1::9')).toBe('128.9.0.0.1.zz.db8.2001');
    expect(addressTrigger('::1')).toBe('128.1.zz');
    expect(addressTrigger('2001:db8::', 32)).toBe('32.zz.db8.2001');
    expect(addressTrigger('::ffff:10.1.2.3')).toBe('32.3.2.1.10');
    expect(addressTrigger('not-an-ip')).toBeNull();
  });

  it('puts the allowlist first as PASSTHRU and never emits an allowlisted name', () => {
    const o = options({}, ['good.example', 'cdn.evil.example']);
    const got = lines(o, [
      flaggedVerdict('www.good.example', { registered: 'good.example' }),
      flaggedVerdict('x.evil.example', { registered: 'evil.example' }),
      flaggedVerdict('cdn.evil.example', { registered: 'evil.example' }),
    ]);
    expect(got.slice(0, 4)).toEqual([
      'cdn.evil.example CNAME rpz-passthru.',
      '*.cdn.evil.example CNAME rpz-passthru.',
      'good.example CNAME rpz-passthru.',
      '*.good.example CNAME rpz-passthru.',
    ]);
    expect(got.slice(4).some((l) => l.includes('good.example'))).toBe(false);
    expect(got).toContain('x.evil.example CNAME .');
  });

  it('never turns a public suffix or a single label into a trigger', () => {
    const stats = emptyBuildStats();
    const zone = buildRpzZone([flaggedVerdict('co.uk'), flaggedVerdict('localhost'), flaggedVerdict('x.evil.co.uk', { registered: 'evil.co.uk' })], options(), 1, stats);
    expect(zone.records.map((r) => r.owner)).toEqual(['x.evil.co.uk', '*.x.evil.co.uk', 'evil.co.uk', '*.evil.co.uk']);
    expect(stats.invalidNames).toBe(2);
  });

  it('writes the delegated zone of a verdict below its registered domain, not the registered domain', () => {
    const verdict = flaggedVerdict('www.bad.freesub.example', { registered: 'freesub.example', zone: 'bad.freesub.example' });
    const zone = buildRpzZone([verdict], options(), 1);
    expect(zone.records.map((r) => r.owner)).toEqual(['www.bad.freesub.example', '*.www.bad.freesub.example', 'bad.freesub.example', '*.bad.freesub.example']);
    // The allowlist applies to the zone.
    const stats = emptyBuildStats();
    expect(buildRpzZone([verdict], options({}, ['bad.freesub.example']), 1, stats).records.filter((r) => r.owner.includes('bad.freesub') && r.data !== 'rpz-passthru.')).toEqual([]);
    expect(stats.notBlocked).toBe(1);
  });

  it('rejects names in the config that cannot be written, with one line', () => {
    for (const [cfg, what] of [
      [{ rpz: { origin: 'rpz fluxhound.' } }, 'rpz.origin'],
      [{ policy: { sinkhole: { name: 'a;b.example' } } }, 'policy.sinkhole.name'],
      [{ rpz: { soa: { mname: 'x..y' } } }, 'rpz.soa.mname'],
    ] as const) {
      expect(() => rpzOptionsOf(validateConfig(cfg, 'test'))).toThrow(ConfigError);
      expect(() => rpzOptionsOf(validateConfig(cfg, 'test'))).toThrow(what);
    }
    expect(() => validateConfig({ policy: { fastFlux: 'block' } }, 'test')).toThrow(/policy\.fastFlux/);
  });
});

describe('serial', () => {
  it('increases in RFC 1982 arithmetic, across the wrap too', () => {
    expect(nextSerial(null, 5)).toBe(5);
    expect(nextSerial(5, 9)).toBe(9);
    expect(nextSerial(9, 9)).toBe(10);
    expect(nextSerial(9, 3)).toBe(10);
    expect(nextSerial(0xffffffff, 3)).toBe(3);
    expect(nextSerial(0xffffffff, 0xfffffff0)).toBe(1);
    expect(buildRpzZone([], options(), 2 ** 32 + 5).soa.serial).toBe(5);
  });
});

const HOSTILE = [
  'space here.example',
  'quote"d.example',
  "apos'trophe.example",
  'semi;colon.example',
  'new\nline.example',
  'cr\rlf.example',
  '$INCLUDE.example',
  '$include /etc/passwd.example',
  'back\\slash.example',
  'nul\u0000byte.example',
  'paren(s).example',
  '@.example',
  '*.star.example',
  'in*fix.example',
  'x'.repeat(63) + '.example',
  'x'.repeat(64) + '.example',
  `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(50)}.example`, // 241 octets: fits alone, not under the origin
  `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(48)}.example`, // fits under the origin, not with '*.'
  'café.example',
  'яндекс.example',
  '\u202etxt.example',
  'tab\tname.example',
  'UPPER.Example',
  'a..b.example',
  '.leading.example',
  '32.1.0.0.127.rpz-ip',
  'evil.rpz-nsdname',
  'rpz-passthru.example',
  '\\046dot.example',
];

/** The lower-cased labels (latin1) of the name a presentation text stands for, by the one name writer (src/dns). */
function wireLabels(text: string): string[] {
  const wire = nameToWire(text);
  const labels: string[] = [];
  for (let p = 0; wire[p] !== 0; p += wire[p]! + 1) labels.push(Buffer.from(wire.subarray(p + 1, p + 1 + wire[p]!)).toString('latin1').replace(/[A-Z]/g, (c) => c.toLowerCase()));
  return labels;
}

describe('hostile names', () => {
  const checkzone = findBinary('named-checkzone', 'bind9-utils');

  function zoneOf(names: string[]): { text: string; stats: ReturnType<typeof emptyBuildStats> } {
    const stats = emptyBuildStats();
    const o = options({ rpz: { ip: true, nsip: true }, policy: { fastFlux: 'sinkhole' } });
    const verdicts = names.map((n) => flaggedVerdict(n, { flux: 'double', nameServers: [`ns.${n}`], addresses: ['203.0.113.9'] }));
    return { text: formatZone(buildRpzZone(verdicts, o, 42, stats)), stats };
  }

  it('cannot break or inject into the zone: every record parses back to the name it was made from', () => {
    const { text, stats } = zoneOf(HOSTILE);
    const zone = parseZone(text);
    const origin = decodeName('rpz.fluxhound.', null);
    const owners = new Set(zone.records.map((r) => r.owner.slice(0, r.owner.length - origin.length).map((l) => l.toString('latin1')).join('.')));
    for (const name of HOSTILE) {
      const p = presentName(name);
      const expected = p === null || p.wire - 1 + 15 > 255 ? null : wireLabels(name).join('.');
      if (expected === null || name.includes('rpz-') || name.startsWith('.')) continue;
      expect(owners.has(expected), name).toBe(true);
      // The origin takes 15 octets of 255; a wildcard needs 2 more.
      expect(owners.has(`*.${expected}`), name).toBe(p!.wire - 1 + 2 <= 240);
    }
    // One SOA, one NS, nothing but the records built.
    expect(zone.records.filter((r) => r.type === 'SOA')).toHaveLength(1);
    expect(zone.records.filter((r) => r.type === 'NS')).toHaveLength(1);
    expect(text).not.toMatch(/^\$INCLUDE/im);
    expect(text.split('\n').filter((l) => l.startsWith('$'))).toEqual(['$ORIGIN rpz.fluxhound.', '$TTL 60']);
    // The rpz-* impostors, the 64-octet label and the empty labels are left out and counted.
    expect(owners.has('32.1.0.0.127.rpz-ip')).toBe(false);
    expect([...owners].some((o) => o.startsWith('32.1.0.0.127'))).toBe(false);
    expect(stats.invalidNames).toBeGreaterThanOrEqual(6);
  });

  it.skipIf(checkzone.path === null)('loads in named-checkzone', () => {
    const { text } = zoneOf(HOSTILE);
    const file = join(dir, 'hostile.rpz');
    writeFileSync(file, text);
    const out = execFileSync(checkzone.path!, ['-k', 'ignore', '-i', 'none', 'rpz.fluxhound.', file], { encoding: 'utf8' });
    expect(out).toMatch(/loaded serial 42/);
    expect(out).toMatch(/OK/);
  });

  it('any string as a name: the zone parses and holds exactly the expected owners (property)', () => {
    const o = options();
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 80 }), { maxLength: 6 }), (raw) => {
        const names = raw.map((n) => `${n}.example`);
        const zone = buildRpzZone(names.map((n) => flaggedVerdict(n)), o, 1);
        const parsed = parseZone(formatZone(zone));
        expect(parsed.records).toHaveLength(zone.records.length + 2);
        const expected = new Set<string>();
        for (const n of names) {
          const p = presentName(n);
          if (p === null || p.labels < 2 || p.text.startsWith('rpz-') || p.text.includes('.rpz-')) continue;
          const labels = wireLabels(n);
          expected.add(labels.join('\u0000'));
          expected.add(['*', ...labels].join('\u0000'));
        }
        const got = new Set(parsed.records.slice(2).map((r) => r.owner.slice(0, -2).map((l) => l.toString('latin1')).join('\u0000')));
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it.skipIf(checkzone.path === null)('random names load in named-checkzone (property, 20 zones)', () => {
    const o = options({ policy: { fastFlux: 'sinkhole' } });
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 70 }), { minLength: 1, maxLength: 40 }), (raw) => {
        const zone = buildRpzZone(raw.map((n) => flaggedVerdict(`${n}.example`)), o, 3);
        const file = join(dir, 'random.rpz');
        writeFileSync(file, formatZone(zone));
        const out = execFileSync(checkzone.path!, ['-k', 'ignore', '-i', 'none', 'rpz.fluxhound.', file], { encoding: 'utf8' });
        expect(out).toMatch(/OK/);
      }),
      { numRuns: 20 },
    );
  });
});
