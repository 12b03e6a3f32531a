/**
 * RFC 5424 formatting of query-log entries: the escaping table of
 * PARAM-VALUE (§6.3.3), PRI and MSGID per action, header fields kept to
 * PRINTUSASCII, the whole message in both field sets, the BOM rule for MSG
 * (§6.4) and RFC 6587 octet counting in bytes.
 */
import { describe, expect, it } from 'vitest';
import type { QueryLogEntry } from '../../model/query-log.js';
import { escapeParamValue, headerField, msgIdOf, octetCounted, SD_ID, severityOf, structuredData, syslogMessage, type SyslogHeader } from './syslog-format.js';

const TS = Date.UTC(2026, 11, 5, 10, 20, 30, 456) / 1000;

function entry(over: Partial<QueryLogEntry> = {}): QueryLogEntry {
  return {
    ts: TS,
    client: '192.0.2.7',
    customer: 'acme',
    name: 'www.flux.example',
    qtype: 'A',
    action: 'nxdomain',
    rcode: 'NXDOMAIN',
    domain: 'www.flux.example',
    verdict: 'fast-flux',
    score: 87,
    rule: 'verdict',
    reason: '12 IPs in 9 ASNs across 6 countries',
    ...over,
  };
}

const header: SyslogHeader = { facility: 16, hostname: 'resolver1', appName: 'fluxhound', procId: '4242', fields: 'fluxhound' };

describe('escapeParamValue', () => {
  it.each([
    ['plain text', 'plain text'],
    ['say "hi"', 'say \\"hi\\"'],
    ['back\\slash', 'back\\\\slash'],
    ['close]bracket', 'close\\]bracket'],
    ['all "\\] three', 'all \\"\\\\\\] three'],
    ['[open is fine', '[open is fine'],
    ['= and spaces are fine', '= and spaces are fine'],
    ['line\nbreak\ttab\x7f', 'line\\x0abreak\\x09tab\\x7f'],
    ['ünïcode stays UTF-8', 'ünïcode stays UTF-8'],
    ['fx\\034quote.test', 'fx\\\\034quote.test'],
  ])('%j → %j', (input, expected) => {
    expect(escapeParamValue(input)).toBe(expected);
  });
});

describe('headerField', () => {
  it.each([
    ['resolver1.example.net', 255, 'resolver1.example.net'],
    ['my host', 255, 'myhost'],
    ['', 48, '-'],
    ['ü', 48, '-'],
    ['x'.repeat(60), 48, 'x'.repeat(48)],
  ])('%j (max %i) → %j', (input, max, expected) => {
    expect(headerField(input, max)).toBe(expected);
  });
});

describe('severity and MSGID', () => {
  it.each([
    ['nxdomain', 4, 'block'],
    ['nodata', 4, 'block'],
    ['sinkhole', 4, 'block'],
    ['drop', 4, 'block'],
    ['exposed', 4, 'exposed'],
    ['log', 5, 'flagged'],
    ['pass', 6, 'query'],
  ] as const)('%s: severity %i, MSGID %s', (action, severity, msgid) => {
    expect(severityOf(entry({ action }))).toBe(severity);
    expect(msgIdOf(entry({ action }))).toBe(msgid);
  });
});

describe('syslogMessage', () => {
  it('writes a blocked query as an RFC 5424 message with the fields in one SD-ELEMENT', () => {
    expect(syslogMessage(entry(), header)).toBe(
      `<132>1 2026-12-05T10:20:30.456Z resolver1 fluxhound 4242 block [${SD_ID} ts="${TS}" client="192.0.2.7" customer="acme" name="www.flux.example" qtype="A" action="nxdomain" rcode="NXDOMAIN" domain="www.flux.example" verdict="fast-flux" score="87" rule="verdict" reason="12 IPs in 9 ASNs across 6 countries"] ` +
        'nxdomain www.flux.example A for 192.0.2.7 (customer acme): fast-flux www.flux.example score 87, 12 IPs in 9 ASNs across 6 countries',
    );
  });

  it('leaves null fields out, gives a pass PRI info (16*8+6), and says the rcode sent', () => {
    const pass = entry({ action: 'pass', rcode: 'SERVFAIL', customer: null, domain: null, verdict: null, score: null, rule: null, reason: null });
    expect(syslogMessage(pass, header)).toBe(`<134>1 2026-12-05T10:20:30.456Z resolver1 fluxhound 4242 query [${SD_ID} ts="${TS}" client="192.0.2.7" name="www.flux.example" qtype="A" action="pass" rcode="SERVFAIL"] pass www.flux.example A for 192.0.2.7: SERVFAIL`);
  });

  it('escapes a hostile deny-list comment in the SD and keeps MSG on one line', () => {
    const hostile = entry({ rule: 'denylist', reason: 'evil"] [x@1 y="z"]\nnext line' });
    const message = syslogMessage(hostile, header);
    expect(message).not.toContain('\n');
    expect(structuredData(hostile, 'fluxhound')).toContain(' reason="evil\\"\\] [x@1 y=\\"z\\"\\]\\x0anext line"]');
    expect(message.endsWith(': deny list www.flux.example score 87, evil"] [x@1 y="z"]\\x0anext line')).toBe(true);
  });

  it('uses ECS names when asked, repeating a PARAM-NAME for a list', () => {
    const sd = structuredData(entry(), 'ecs');
    expect(sd.startsWith(`[${SD_ID} @timestamp="2026-12-05T10:20:30.456Z" ecs.version="8.11.0" event.kind="event" event.category="network" event.type="protocol" event.type="denied" event.action="nxdomain"`)).toBe(true);
    for (const part of ['client.ip="192.0.2.7"', 'dns.question.name="www.flux.example"', 'dns.question.type="A"', 'dns.response_code="NXDOMAIN"', 'organization.id="acme"', 'event.risk_score="87"', 'rule.name="verdict"', 'threat.indicator.type="domain-name"', 'threat.indicator.confidence="High"']) {
      expect(sd).toContain(` ${part}`);
    }
    // Every PARAM-NAME is 1..32 PRINTUSASCII without '=', ' ', ']' or '"' (RFC 5424 SD-NAME).
    for (const [, name] of sd.matchAll(/ ([^ =]+)="/g)) expect(name).toMatch(/^[!#-<>-\\^-~]{1,32}$/);
  });

  it('prefixes MSG with the BOM only when it holds more than ASCII', () => {
    expect(syslogMessage(entry(), header)).not.toContain('\ufeff');
    const utf8 = syslogMessage(entry({ rule: 'denylist', reason: 'Phishing gegen Kunden (Bücher)' }), header);
    expect(utf8).toContain('] \ufeffnxdomain ');
  });
});

describe('octetCounted', () => {
  it('frames with the length in bytes, not characters (RFC 6587 §3.4.1)', () => {
    expect(octetCounted('<134>1 - - - - - - abc').toString('utf8')).toBe('22 <134>1 - - - - - - abc');
    const frame = octetCounted('ü');
    expect(frame.toString('utf8')).toBe('2 ü');
  });
});
