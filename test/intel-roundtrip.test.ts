/**
 * Issue 15's round trip with two real fluxhound daemons (the built CLI):
 * daemon A follows a DNS log, flags a botnet's fast-flux names (one flux
 * network) and serves its findings over TAXII 2.1; daemon B runs the
 * Protective DNS forwarder and polls A's TAXII collection as an intel feed
 * (config intel.feeds, kind taxii, A's read token in a file). B then blocks
 * on the FIRST lookup a name it has never seen whose upstream answer points
 * into A's flux network, and a name A flagged, each time naming A's feed
 * and the entry (the STIX object id) in its query log and its API, while a
 * name resolving elsewhere passes. Nothing is mocked: A's TAXII server is
 * B's only source, the upstream is a real DNS server on 127.0.0.1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoId } from '../src/act/stix/uuid5.js';
import { startAnsweringAuthority, type AnsweringAuthority } from './support/answer-all.js';
import { CLI, requireBuilt } from './support/cli.js';
import { freePort, startDaemon, waitFor, type Daemon } from './support/daemon.js';
import { queryUdp } from './support/dns-query.js';
import { fetchWithToken, writeTokenFile, type TestTokens } from './support/tokens.js';
import { botAddresses, zeekLog } from './support/zeek-log.js';
import { stixValidators } from './helpers/stix-schemas.js';
import { violations } from './helpers/taxii-spec.js';

/** The botnet's names in A's traffic: both rotate through the same bots, so A sees one flux network. */
const FLUX = ['login.kozolabi.test', 'img.vemorati.test'];
/** Asked at B only, never in A's traffic nor B's before the test asks it once. */
const NEVER_SEEN = 'update.qirnavesh.test';
const BENIGN = 'www.plain-bakery.test';
const BENIGN_ADDRESS = '80.67.169.12';
/** What B's upstream answers for A's flagged names: not a bot, so only the domain listing can block them. */
const ELSEWHERE = '80.67.169.40';
const FEED = 'partner-a';
const TAXII_MEDIA = 'application/taxii+json;version=2.1';
const NXDOMAIN = 3;

interface StixObject {
  id: string;
  type: string;
  value?: string;
  pattern?: string;
}

interface QueryLogItem {
  name: string;
  action: string;
  rcode: string | null;
  domain: string | null;
  rule: string | null;
  reason: string | null;
}

interface Listing {
  feed: string;
  ref: string;
  kind: string;
  value: string;
}

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-intel-roundtrip-'));
let daemonA: Daemon | null = null;
let daemonB: Daemon | null = null;
let upstream: AnsweringAuthority | null = null;
let tokensA: TestTokens;
let tokensB: TestTokens;
let dnsB = 0;
let httpB = 0;
/** A's published objects, read once both flux names are in. */
let published: StixObject[] = [];
/** The bot B's upstream answers the never-seen name with (an ipv4-addr A published). */
let bot = '';
let discoveryOfA = '';

/** Every object of A's findings collection (of one type, else all), page by page. */
async function objectsOfA(discovery: string, type: string | null): Promise<StixObject[]> {
  const headers = { accept: TAXII_MEDIA };
  const root = ((await (await fetchWithToken(discovery, tokensA.read, { headers })).json()) as { default: string }).default;
  const { collections } = (await (await fetchWithToken(`${root}collections/`, tokensA.read, { headers })).json()) as { collections: Array<{ id: string }> };
  const out: StixObject[] = [];
  let next: string | undefined;
  for (let page = 0; page < 100; page++) {
    const params = new URLSearchParams();
    if (type !== null) params.set('match[type]', type);
    if (next !== undefined) params.set('next', next);
    const url = `${root}collections/${collections[0]!.id}/objects/?${params.toString()}`;
    const envelope = (await (await fetchWithToken(url, tokensA.read, { headers })).json()) as { objects?: StixObject[]; more?: boolean; next?: string };
    out.push(...(envelope.objects ?? []));
    if (envelope.more !== true || envelope.next === undefined) break;
    next = envelope.next;
  }
  return out;
}

function rcode(answer: packet.Packet): number {
  return (answer.flags ?? -1) & 15;
}

/** B's query log entries of `name` (its store, through its API), newest first. */
async function queryLogOfB(name: string): Promise<QueryLogItem[]> {
  const res = await fetchWithToken(`http://127.0.0.1:${httpB}/api/v1/querylog?name=${encodeURIComponent(name)}`, tokensB.read);
  return res.status === 200 ? ((await res.json()) as { items: QueryLogItem[] }).items : [];
}

/** B's API view of one name: 404 when B knows nothing of it. */
async function domainAtB(name: string): Promise<{ status: number; body: { blocked?: boolean; verdict?: { reasons: string[]; intel?: Listing[] } | null } }> {
  const res = await fetchWithToken(`http://127.0.0.1:${httpB}/api/v1/domains/${encodeURIComponent(name)}`, tokensB.read);
  return { status: res.status, body: (await res.json()) as { blocked?: boolean; verdict?: { reasons: string[]; intel?: Listing[] } | null } };
}

beforeAll(async () => {
  requireBuilt();
  const bots = botAddresses();
  expect(bots.length).toBeGreaterThanOrEqual(24);
  // Recent times: A's indicators stay valid (valid_until = last seen + policy expiry), so B takes them.
  const start = Math.floor(Date.now() / 1000) - 4 * 3600;
  const log = join(dir, 'a-dns.log');
  writeFileSync(log, zeekLog(FLUX, bots.slice(0, 24), start));

  // Daemon A: follows the log, serves TAXII with its own tokens.
  tokensA = writeTokenFile(mkdtempSync(join(dir, 'a-')));
  const taxiiA = await freePort();
  daemonA = startDaemon(process.execPath, [CLI, 'serve', '--follow', log, '--follow-interval', '100', '--taxii', `127.0.0.1:${taxiiA}`, '--api-tokens', tokensA.file, '--no-store', '--log-level', 'warn'], { cwd: dir });
  const discovery = `http://127.0.0.1:${taxiiA}/taxii2/`;
  discoveryOfA = discovery;
  await waitFor(
    "A's TAXII collection to hold both flux names and their addresses",
    async () => {
      const indicators = await objectsOfA(discovery, 'indicator');
      const patterns = new Set(indicators.map((o) => o.pattern));
      // Thrown, not false: the last one is the timeout's message, so a failure says what A lacks.
      const missing = FLUX.filter((name) => !patterns.has(`[domain-name:value = '${name}']`));
      if (missing.length > 0) throw new Error(`no indicator yet for ${missing.join(', ')}`);
      const addresses = await objectsOfA(discovery, 'ipv4-addr');
      if (addresses.length === 0) throw new Error('indicators published, but no ipv4-addr objects (the flux network\'s addresses)');
      published = [...indicators, ...(await objectsOfA(discovery, 'domain-name')), ...addresses];
      return true;
    },
    60_000,
    250,
  );

  // Daemon B: the forwarder, its upstream on 127.0.0.1, and A as its one intel feed.
  const readTokenOfA = join(dir, 'a-read-token');
  writeFileSync(readTokenOfA, `${tokensA.read}\n`, { mode: 0o600 });
  bot = published
    .filter((o) => o.type === 'ipv4-addr' && o.value !== undefined && bots.includes(o.value))
    .map((o) => o.value!)
    .sort()[0]!;
  upstream = await startAnsweringAuthority((name) => (name === NEVER_SEEN ? bot : name === BENIGN ? BENIGN_ADDRESS : ELSEWHERE));
  const config = join(dir, 'b.yaml');
  writeFileSync(
    config,
    [
      'intel:',
      `  cacheDir: ${JSON.stringify(join(dir, 'b-intel'))}`,
      '  timeout: 5000',
      '  feeds:',
      `    - name: ${FEED}`,
      `      url: ${JSON.stringify(discovery)}`,
      '      kind: taxii',
      '      action: block',
      '      confidence: 80',
      '      auth:',
      `        tokenFile: ${JSON.stringify(readTokenOfA)}`,
      '',
    ].join('\n'),
  );
  tokensB = writeTokenFile(mkdtempSync(join(dir, 'b-')));
  dnsB = await freePort();
  httpB = await freePort();
  daemonB = startDaemon(
    process.execPath,
    [CLI, 'serve', '--config', config, '--dns', `127.0.0.1:${dnsB}`, '--upstream', `127.0.0.1:${upstream.port}`, '--store', join(dir, 'b.db'), '--http', `127.0.0.1:${httpB}`, '--api-tokens', tokensB.file, '--rate-limit', '0', '--log-level', 'warn'],
    { cwd: dir },
  );
  // B has A's feed once it blocks the first flux name (its own upstream would answer it with ELSEWHERE).
  await waitFor(
    `B to block ${FLUX[0]} from A's feed`,
    async () => {
      const code = rcode(await queryUdp(dnsB, FLUX[0]!, { timeoutMs: 1000 }));
      if (code !== NXDOMAIN) throw new Error(`B answers it with rcode ${code}: A's feed is not in force`);
      return true;
    },
    60_000,
    250,
  );
}, 150_000);

afterAll(async () => {
  await daemonB?.stop();
  await daemonA?.stop();
  await upstream?.close();
  if (process.env.FLUXHOUND_TEST_VERBOSE !== undefined) process.stdout.write(`A (exit ${daemonA?.process.exitCode}):\n${daemonA?.output() ?? ""}\nB (exit ${daemonB?.process.exitCode}):\n${daemonB?.output() ?? ""}\n`);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('two daemons: A flags fast flux and serves TAXII, B polls A and blocks', () => {
  it('B blocks a never-seen name resolving into A\'s flux network on its first lookup, naming A\'s feed and entry', async () => {
    const entry = published.find((o) => o.type === 'ipv4-addr' && o.value === bot)!;
    // The spec's deterministic SCO id: any producer names this address so.
    expect(entry.id).toBe(scoId('ipv4-addr', { value: bot }));
    expect((await domainAtB(NEVER_SEEN)).status).toBe(404);

    const answer = await queryUdp(dnsB, NEVER_SEEN);
    expect(rcode(answer)).toBe(NXDOMAIN);
    expect(answer.answers ?? []).toEqual([]);

    const logged = await waitFor(`B's query log entry for ${NEVER_SEEN}`, async () => (await queryLogOfB(NEVER_SEEN))[0], 10_000, 200);
    expect(logged).toMatchObject({ name: NEVER_SEEN, action: 'nxdomain', rcode: 'NXDOMAIN' });
    expect(logged.reason).toContain(`intel feed ${FEED}`);
    expect(logged.reason).toContain(`entry ${entry.id}`);

    const seen = await domainAtB(NEVER_SEEN);
    expect(seen.status).toBe(200);
    expect(seen.body.blocked).toBe(true);
    expect(seen.body.verdict?.intel).toEqual(expect.arrayContaining([expect.objectContaining({ feed: FEED, ref: entry.id, kind: 'address', value: bot })]));
    expect(seen.body.verdict?.reasons.some((r) => r.includes(`intel feed ${FEED}`) && r.includes(bot))).toBe(true);
  }, 30_000);

  it('B blocks a name A flagged on its first lookup there, with the listing as provenance', async () => {
    const name = FLUX[1]!;
    const refs = published.filter((o) => o.pattern === `[domain-name:value = '${name}']` || (o.type === 'domain-name' && o.value === name)).map((o) => o.id);
    expect(refs.length).toBeGreaterThan(0);
    expect(await queryLogOfB(name)).toEqual([]);

    expect(rcode(await queryUdp(dnsB, name))).toBe(NXDOMAIN);

    const logged = await waitFor(`B's query log entry for ${name}`, async () => (await queryLogOfB(name))[0], 10_000, 200);
    expect(logged).toMatchObject({ name, action: 'nxdomain', domain: name, rule: 'intel' });
    expect(logged.reason).toContain(`listed by intel feed ${FEED}`);
    expect(refs.some((ref) => logged.reason!.includes(`entry ${ref}`))).toBe(true);
    const seen = await domainAtB(name);
    expect(seen.body.blocked).toBe(true);
    const listing = seen.body.verdict?.intel?.[0];
    expect(listing).toMatchObject({ feed: FEED, kind: 'domain', value: name });
    expect(refs).toContain(listing!.ref);
  }, 30_000);

  it('a name resolving elsewhere passes through B with its real answer', async () => {
    const answer = await queryUdp(dnsB, BENIGN);
    expect(rcode(answer)).toBe(0);
    expect((answer.answers ?? []).map((a) => (a.type === 'A' ? a.data : a.type))).toEqual([BENIGN_ADDRESS]);
    const seen = await domainAtB(BENIGN);
    expect(seen.body.blocked ?? false).toBe(false);
  }, 30_000);

  it("what B polled from A is valid: every STIX object against its OASIS schema, every TAXII answer with the spec's required fields", async () => {
    const { byType } = stixValidators();
    const objects = (await objectsOfA(discoveryOfA, null)) as unknown as Array<{ type: string; id: string }>;
    expect(new Set(objects.map((o) => o.type))).toEqual(new Set(['identity', 'marking-definition', 'indicator', 'domain-name', 'ipv4-addr', 'infrastructure', 'relationship']));
    for (const object of objects) {
      const validate = byType.get(object.type)!;
      expect(validate(object) ? [] : validate.errors, object.id).toEqual([]);
    }
    const headers = { accept: TAXII_MEDIA };
    const get = async (url: string): Promise<Record<string, unknown>> => {
      const res = await fetchWithToken(url, tokensA.read, { headers });
      expect(res.headers.get('content-type'), url).toBe(TAXII_MEDIA);
      return (await res.json()) as Record<string, unknown>;
    };
    const discovery = await get(discoveryOfA);
    const root = discovery.default as string;
    const collections = await get(`${root}collections/`);
    const id = (collections.collections as Array<{ id: string }>)[0]!.id;
    const answers: Array<[string, Record<string, unknown>]> = [
      ['discovery', discovery],
      ['api-root', await get(root)],
      ['collections', collections],
      ['envelope', await get(`${root}collections/${id}/objects/?limit=5`)],
      ['manifest', await get(`${root}collections/${id}/manifest/?limit=5`)],
    ];
    for (const [resource, body] of answers) expect(violations(resource, body), resource).toEqual([]);
  }, 30_000);
});
