/**
 * The query log through a real rsyslogd, on loopback: the test starts
 * rsyslogd with its own configuration (imudp and imtcp on free ports of
 * 127.0.0.1, a template writing the fields rsyslog's RFC 5424 parser found
 * — facility, severity, version, HOSTNAME, APP-NAME, PROCID, MSGID,
 * STRUCTURED-DATA, MSG — one line each to a file; no root paths), and
 * `fluxhound serve --dns` forwarding to a flux authority, its query log
 * sent to rsyslog over UDP (fluxhound's field names) and over TCP
 * (octet-counted frames, ECS names). A client asks a flux name until it is
 * blocked; the test reads back what rsyslog parsed: the block and the
 * exposure (the client resolved the name before it was flagged), attributed
 * to the client's customer. Bounded by waitFor deadlines; no timing asserted.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../support/binaries.js';
import { CLI, requireBuilt } from '../support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from '../support/daemon.js';
import { queryRcode } from '../support/dns-query.js';
import { FluxAuthority } from '../support/flux-authority.js';

const FLUX = 'www.qlogflux.test';
const rsyslogd = findBinary('rsyslogd', 'rsyslog');

/** One A query; resolves to the rcode (0 NOERROR, 3 NXDOMAIN). */
function query(port: number, name: string): Promise<number> {
  return queryRcode(port, name, { id: 77 });
}

/** What rsyslog parsed from one message (the template's tab-separated fields). */
interface Parsed {
  input: string;
  facility: number;
  severity: number;
  version: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** The SD-ELEMENT's parameters, unescaped per RFC 5424 §6.3.3 (a repeated name keeps every value). */
  params: Map<string, string[]>;
  sdId: string;
  msg: string;
}

/** Parses one SD-ELEMENT as RFC 5424 writes it: [ID name="value" ...], with \" \\ \] inside values. */
function parseSd(sd: string): { id: string; params: Map<string, string[]> } {
  if (sd === '-') return { id: '-', params: new Map() }; // NILVALUE: the readiness probe
  const head = /^\[([^ \]]+)/.exec(sd);
  if (head === null) throw new Error(`not structured data: ${sd}`);
  const params = new Map<string, string[]>();
  let i = head[0].length;
  while (sd[i] === ' ') {
    const eq = sd.indexOf('="', i);
    const name = sd.slice(i + 1, eq);
    let value = '';
    let j = eq + 2;
    for (; sd[j] !== '"'; j++) {
      if (sd[j] === '\\' && (sd[j + 1] === '"' || sd[j + 1] === '\\' || sd[j + 1] === ']')) j++;
      value += sd[j];
    }
    params.set(name, [...(params.get(name) ?? []), value]);
    i = j + 1;
  }
  if (sd[i] !== ']' || i !== sd.length - 1) throw new Error(`one SD-ELEMENT expected: ${sd}`);
  return { id: head[1]!, params };
}

function parsedLines(file: string): Parsed[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const [input, facility, severity, version, hostname, appName, procId, msgId, sd, ...msg] = line.split('\t');
      const { id, params } = parseSd(sd!);
      return { input: input!, facility: Number(facility), severity: Number(severity), version: version!, hostname: hostname!, appName: appName!, procId: procId!, msgId: msgId!, sdId: id, params, msg: msg.join('\t') };
    });
}

function rsyslogConfig(dir: string, udpPort: number, tcpPort: number): string {
  return [
    `global(workDirectory="${dir}" maxMessageSize="16k")`,
    'module(load="imudp")',
    'module(load="imtcp")',
    'template(name="fields" type="string" string="%inputname%\\t%syslogfacility%\\t%syslogseverity%\\t%protocol-version%\\t%hostname%\\t%app-name%\\t%procid%\\t%msgid%\\t%structured-data%\\t%msg%\\n")',
    `ruleset(name="fluxhound") { action(type="omfile" file="${join(dir, 'parsed.log')}" template="fields") }`,
    `input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="fluxhound")`,
    `input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="fluxhound")`,
    '',
  ].join('\n');
}

describe.skipIf(rsyslogd.missing !== null)(`the query log through a real rsyslogd${rsyslogd.missing === null ? '' : ` (skipped: ${rsyslogd.missing})`}`, () => {
  let dir = '';
  let rsyslog: Daemon | null = null;
  let udpPort = 0;
  let tcpPort = 0;
  const authority = new FluxAuthority({ origin: 'test', flux: [FLUX], benign: { 'www.plain-qlog.test': ['192.0.2.10'] }, perAnswer: 10 });

  beforeAll(async () => {
    requireBuilt();
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-querylog-rsyslog-'));
    await authority.start();
    udpPort = await freePort();
    tcpPort = await freePort();
    writeFileSync(join(dir, 'rsyslog.conf'), rsyslogConfig(dir, udpPort, tcpPort));
    rsyslog = startDaemon(rsyslogd.path!, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')]);
    await waitFor('rsyslogd to listen', () => existsSync(join(dir, 'rsyslogd.pid')) && rsyslog!.process.exitCode === null, 20_000);
    // Until rsyslog writes a test line, it is not yet reading its inputs.
    await waitFor(
      'rsyslogd to receive',
      async () => {
        const probe = createSocket('udp4');
        await new Promise<void>((r) => probe.send('<14>1 - - probe - - - ready', udpPort, '127.0.0.1', () => r()));
        probe.close();
        await new Promise((r) => setTimeout(r, 100));
        return existsSync(join(dir, 'parsed.log'));
      },
      20_000,
      200,
    );
  }, 60_000);

  afterAll(async () => {
    await rsyslog?.stop();
    await authority.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it.each([
    ['udp', 'fluxhound'],
    ['tcp', 'ecs'],
  ] as const)(
    'gets the block and the exposure of a flagged name over %s, with %s field names, attributed to the customer',
    async (transport, fields) => {
      const dnsPort = await freePort();
      const config = join(dir, `fluxhound-${transport}.yaml`);
      writeFileSync(
        config,
        [
          'customers:',
          '  - id: lab-7',
          '    name: "The lab"',
          '    networks: [127.0.0.0/8]',
          'serve:',
          '  querylog:',
          `    fields: ${fields}`,
          '    syslog:',
          `      transport: ${transport}`,
          `      appName: fluxhound-${transport}`,
          '',
        ].join('\n'),
      );
      const args = [CLI, 'serve', '-c', config, '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${authority.port}`, '--no-store', '--rate-limit', '0', '--no-flags'];
      args.push('--querylog-syslog', `127.0.0.1:${transport === 'udp' ? udpPort : tcpPort}`);
      const fluxhound = startDaemon(process.execPath, args, { cwd: dir });
      try {
        await waitFor('fluxhound to answer', async () => (await query(dnsPort, 'www.plain-qlog.test').catch(() => -1)) === 0, 30_000, 200);
        // Ask until the detector has flagged the name and the forwarder blocks it.
        await waitFor('the flux name blocked', async () => (await query(dnsPort, FLUX)) === 3, 30_000, 50);
        const app = `fluxhound-${transport}`;
        const mine = (): Parsed[] => parsedLines(join(dir, 'parsed.log')).filter((p) => p.appName === app);
        const name = fields === 'ecs' ? 'dns.question.name' : 'name';
        const blocked = await waitFor('the block, parsed by rsyslog', () => mine().find((p) => p.msgId === 'block' && p.params.get(name)?.[0] === FLUX), 20_000);
        const exposed = await waitFor('the exposure, parsed by rsyslog', () => mine().find((p) => p.msgId === 'exposed'), 20_000);

        expect(blocked.input).toBe(transport === 'udp' ? 'imudp' : 'imtcp');
        expect(blocked).toMatchObject({ facility: 16, severity: 4, version: '1', sdId: 'fluxhound@32473', procId: String(fluxhound.process.pid) });
        expect(blocked.hostname).not.toBe('-');
        expect(exposed).toMatchObject({ facility: 16, severity: 4, sdId: 'fluxhound@32473' });
        const get = (p: Parsed, key: string): string[] | undefined => p.params.get(key);
        if (fields === 'fluxhound') {
          expect(Object.fromEntries([...blocked.params].map(([k, v]) => [k, v[0]]))).toMatchObject({ client: '127.0.0.1', customer: 'lab-7', name: FLUX, qtype: 'A', action: 'nxdomain', rcode: 'NXDOMAIN', domain: FLUX, verdict: 'fast-flux', rule: 'verdict' });
          expect(Number(get(blocked, 'score')![0])).toBeGreaterThanOrEqual(60);
          expect(get(blocked, 'reason')![0]).toMatch(/\d+ (IPs|addresses)|ASN/);
          expect(Object.fromEntries([...exposed.params].map(([k, v]) => [k, v[0]]))).toMatchObject({ client: '127.0.0.1', customer: 'lab-7', name: FLUX, action: 'exposed', domain: FLUX, rule: 'verdict' });
          expect(get(exposed, 'rcode')).toBeUndefined();
          expect(blocked.msg).toMatch(new RegExp(`^nxdomain ${FLUX.replace(/\./g, '\\.')} A for 127\\.0\\.0\\.1 \\(customer lab-7\\): fast-flux `));
        } else {
          expect(get(blocked, 'client.ip')).toEqual(['127.0.0.1']);
          expect(get(blocked, 'organization.id')).toEqual(['lab-7']);
          expect(get(blocked, 'dns.response_code')).toEqual(['NXDOMAIN']);
          expect(get(blocked, 'event.action')).toEqual(['nxdomain']);
          expect(get(blocked, 'event.type')).toEqual(['protocol', 'denied']);
          expect(get(blocked, 'threat.indicator.url.domain')).toEqual([FLUX]);
          expect(get(blocked, 'rule.name')).toEqual(['verdict']);
          expect(get(exposed, 'event.kind')).toEqual(['alert']);
          expect(get(exposed, 'client.ip')).toEqual(['127.0.0.1']);
          expect(get(exposed, 'organization.id')).toEqual(['lab-7']);
        }
      } finally {
        await fluxhound.stop();
      }
    },
    120_000,
  );
});
