import { describe, expect, it } from 'vitest';
import { parseRpz } from './rpz.js';

const ZONE = `$TTL 300
$ORIGIN rpz.example.net.
@   IN SOA ns.example.net. hostmaster.example.net. (
        2026120501 ; serial
        3600 600 86400 60 )
    IN NS  ns.example.net.
Bad.Example           CNAME .            ; nxdomain
*.bad.example         CNAME .
nodata.example        CNAME *.
drop.example     300  IN CNAME rpz-drop.
local.example         A 192.0.2.53
                      TXT "more local data"
ok.example            CNAME rpz-passthru.
32.1.2.0.192.rpz-ip   CNAME .
24.0.100.51.198.rpz-ip CNAME .
48.zz.db8.2001.rpz-ip CNAME .
128.1.zz.db8.2001.rpz-ip CNAME .
abs.example.rpz.example.net. CNAME .
ns.bad.example.rpz-nsdname CNAME .
32.1.2.0.192.rpz-client-ip CNAME .
`;

describe('parseRpz', () => {
  it('reads QNAME and rpz-ip triggers relative to the origin, ignores PASSTHRU and the apex, counts unsupported triggers', () => {
    const feed = parseRpz(ZONE, 'feed.rpz');
    expect(feed.entries.map((e) => `${e.kind} ${e.value} ${e.ref} ${e.note}`)).toEqual([
      'domain bad.example feed.rpz:7 rpz: nxdomain',
      // *.bad.example is the same listing as bad.example (a listed name covers its subdomains): kept once as written.
      'domain bad.example feed.rpz:8 rpz: nxdomain',
      'domain nodata.example feed.rpz:9 rpz: nodata',
      'domain drop.example feed.rpz:10 rpz: drop',
      'domain local.example feed.rpz:11 rpz: local data A',
      'address 192.0.2.1 feed.rpz:14 rpz: nxdomain',
      'cidr 198.51.100.0/24 feed.rpz:15 rpz: nxdomain',
      'cidr 2001:db8::/48 feed.rpz:16 rpz: nxdomain',
      'address 2001:db8::1 feed.rpz:17 rpz: nxdomain',
      'domain abs.example feed.rpz:18 rpz: nxdomain',
    ]);
    expect(feed.skipped).toEqual([
      { position: 'feed.rpz:19', reason: 'unsupported trigger (rpz-nsdname)' },
      { position: 'feed.rpz:20', reason: 'unsupported trigger (rpz-client-ip)' },
    ]);
  });

  it('survives hostile zones: $INCLUDE, names outside the zone, bad rpz-ip, NULs, quotes and parentheses that never close', () => {
    const text = [
      '$ORIGIN rpz.example.',
      '$INCLUDE /etc/passwd',
      'other.zone.example. CNAME .',
      '99.1.2.0.192.rpz-ip CNAME .',
      '32.1.2.0.999.rpz-ip CNAME .',
      '32.zz.zz.1.rpz-ip CNAME .',
      'nul\u0000.example CNAME .',
      'q.example TXT "never closed',
      'fine.example CNAME .',
      'paren.example SOA a. b. ( 1 2 3',
    ].join('\n');
    const feed = parseRpz(text, 'h.rpz');
    expect(feed.entries.map((e) => e.value)).toEqual(['fine.example']);
    expect(feed.skipped).toEqual([
      { position: 'h.rpz:2', reason: '$INCLUDE is not followed' },
      { position: 'h.rpz:3', reason: 'owner name outside the zone' },
      { position: 'h.rpz:4', reason: 'IPv4 prefix longer than 32' },
      { position: 'h.rpz:5', reason: 'bad network address' },
      { position: 'h.rpz:6', reason: 'bad rpz-ip trigger' },
      { position: 'h.rpz:7', reason: 'control character (NUL or binary) in the line' },
      { position: 'h.rpz:8', reason: 'unclosed quoted string' },
      { position: 'h.rpz:10', reason: 'parentheses never closed' },
    ]);
  });

  it('reads a zone with no $ORIGIN: owner names are the triggers themselves', () => {
    const feed = parseRpz('evil.example. CNAME .\nevil2.example CNAME .\n', 'bare.rpz');
    expect(feed.entries.map((e) => e.value)).toEqual(['evil.example', 'evil2.example']);
  });

  it('gives one entry for an owner\'s records together (local data A, AAAA, TXT), whatever their TTL and class fields', () => {
    const feed = parseRpz(['$ORIGIN rpz.example.', 'sink.example 300 IN A 192.0.2.1', '  IN AAAA 2001:db8::1', 'sink.example 1h30m TXT "why"', 'other.example CNAME .'].join('\n'), 'l.rpz');
    expect(feed.entries.map((e) => [e.value, e.ref, e.note])).toEqual([
      ['sink.example', 'l.rpz:2', 'rpz: local data A'],
      ['other.example', 'l.rpz:5', 'rpz: nxdomain'],
    ]);
    expect(feed.skipped).toEqual([]);
  });
});
