/**
 * The one detection config. Every knob has a unit and a default here, and the
 * same text is in fluxhound.example.yaml and README. Parsed once at
 * start-up; nothing re-reads it per record.
 */
import { z } from 'zod';

const ramp = (low: number, high: number, points: number) =>
  z
    .strictObject({
      /** At or below this value the feature adds nothing (above it, for reversed ramps). */
      low: z.number().finite(),
      /** At or beyond this value the feature adds its full points. */
      high: z.number().finite(),
      /** Points (of 100) the feature adds at full strength; negative for reputation, which lowers the score. */
      points: z.number().finite().min(-100).max(100),
    })
    .prefault({ low, high, points });

/** What a flagged name gets: see policy.fastFlux. */
export const policyAction = z.enum(['nxdomain', 'nodata', 'drop', 'sinkhole', 'log']);
export type PolicyAction = z.infer<typeof policyAction>;

/** A listener's TLS: PEM certificate (chain) and key files, both or neither. */
function tlsFiles() {
  return z
    .strictObject({
      cert: z.string().min(1).nullable().default(null),
      key: z.string().min(1).nullable().default(null),
    })
    .refine((t) => (t.cert === null) === (t.key === null), { message: 'cert and key go together' })
    .prefault({});
}

export const configSchema = z.strictObject({
  /** Seconds. The sliding window for "within 1 h" features. Default 3600. */
  window: z.number().int().min(1).max(7 * 86400).default(3600),
  /** Seconds. Answers with a TTL under this count as low-TTL. Default 300. */
  lowTtl: z.number().int().min(0).default(300),
  limits: z
    .strictObject({
      /** Tracked domains (names plus registered domains). Beyond it the least recently seen are finalised and evicted. Default 500000. */
      maxDomains: z.number().int().min(16).default(500_000),
      /** Seconds of data time without a lookup after which a domain is finalised and evicted. Default 86400. */
      idleTimeout: z.number().int().min(60).default(86_400),
      /** Addresses remembered per domain; the least recently seen make room. Default 64. */
      maxAddressesPerDomain: z.number().int().min(4).max(4096).default(64),
      /** NS names, CNAME targets and clients remembered per domain. Default 16. */
      maxNamesPerDomain: z.number().int().min(2).max(1024).default(16),
      /** Addresses of flux networks remembered for recognising new domains on first sight; the oldest are forgotten first. Default 1000000. */
      maxNetworkAddresses: z.number().int().min(0).default(1_000_000),
    })
    .prefault({}),
  verdict: z
    .strictObject({
      /** Score (0..100) at or above which a domain is fast-flux. Default 60. */
      fastFlux: z.number().min(0).max(100).default(60),
      /** Score at or above which a domain is suspicious. Default 30. */
      suspicious: z.number().min(0).max(100).default(30),
      /** Points from name-server features needed to call the flux double. Default 10. */
      doubleFluxPoints: z.number().min(0).max(100).default(10),
      /** TTL and churn points count only when the addresses span at least this many ASNs (a low TTL alone is dynamic DNS, not flux). Default 3. */
      minAsnsForTiming: z.number().int().min(0).default(3),
      /**
       * A registered domain's union of names may be fast-flux on its own only when its names are throwaways:
       * at most this many lookups per name on average (flux spread over random subdomains). Otherwise each
       * name is judged on its own evidence and the union stays at most suspicious, so a few busy names
       * (mirror networks) cannot add up to a block of the whole domain. Default 3.
       */
      zoneMaxLookupsPerName: z.number().min(0).default(3),
    })
    .prefault({}),
  /**
   * Geolocation consistency: answers from several ASNs all in one country are a national multi-carrier CDN's
   * shape, not flux's (flux spreads over many countries and residential networks). A domain of that shape gets
   * at most `maxPoints` from its address diversity and timing; name-server flux and flux networks still count.
   */
  geography: z
    .strictObject({
      /** The rule holds from this many ASNs of the answers, all in one country. Default 2. */
      minAsns: z.number().int().min(1).default(2),
      /** ... up to this many: a national CDN sits in a handful of carriers; more networks inside one country is residential flux. Default 8. */
      maxAsns: z.number().int().min(1).default(8),
      /** ... with fewer distinct addresses than this: very many addresses are a flux pool, wherever it is. Default 200. */
      maxIps: z.number().int().min(1).default(200),
      /** Points the diversity and timing features (asns, countries, prefixes, ips, ips_per_hour, ttl_min, churn) add together at most for such a domain; below verdict.suspicious, so address evidence alone leaves it benign (a national CDN is not worth a watch). Default 20. */
      maxPoints: z.number().min(0).max(100).default(20),
    })
    .prefault({}),
  /** Flux service networks: when a network's addresses count as evidence against a new name. */
  networks: z
    .strictObject({
      /** A network is coherent (its shared addresses count in full) with at least this many bot addresses... Default 10. */
      minAddresses: z.number().int().min(1).default(10),
      /** ...in at least this many ASNs... Default 5. */
      minAsns: z.number().int().min(1).default(5),
      /** ...across at least this many countries. Default 3. */
      minCountries: z.number().int().min(1).default(3),
      /** A name must share at least this many addresses with a coherent network for the network points to count in full. Default 2. */
      minSharedAddresses: z.number().int().min(1).default(2),
      /** Fraction (0..1) of the network points that weaker evidence (fewer shared addresses, or a network not coherent) carries; it never opens the TTL/churn gate. Default 0.5. */
      weakEvidence: z.number().min(0).max(1).default(0.5),
      /** A network address that this many unrelated registered domains (each sharing only it, none fast-flux on its own evidence) resolved to is shared hosting: it carries no verdict. Default 8. */
      sharedHostDomains: z.number().int().min(2).max(64).default(8),
      /** Names sharing addresses while each is only suspicious (on its own evidence) form a candidate network; it becomes a flux network for its members when... */
      suspicious: z
        .strictObject({
          /** ...at least this many distinct registered domains are among its names... Default 3. */
          minNames: z.number().int().min(2).default(3),
          /** ...over at least this many distinct addresses... Default 10. */
          minAddresses: z.number().int().min(1).default(10),
          /** ...in at least this many ASNs. Default 5. */
          minAsns: z.number().int().min(1).default(5),
          /** ...across at least this many countries (a national CDN's customers share edges in one country). Default 3. */
          minCountries: z.number().int().min(1).default(3),
          /** Addresses the candidate graph remembers; the oldest are forgotten first. Default 100000. */
          maxAddresses: z.number().int().min(0).default(100_000),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Slow flux: a name looked up a few times over hours or days, every answer new, low TTL, spread over networks and countries. */
  slowFlux: z
    .strictObject({
      /** Distinct ASNs within one day (24 h) of answers. Default 5. */
      minAsns: z.number().int().min(1).default(5),
      /** Distinct countries within one day. Default 3. */
      minCountries: z.number().int().min(1).default(3),
      /** Answers that carried an address never seen before. Default 3. */
      minNewAnswers: z.number().int().min(1).default(3),
      /** Share (0..1) of the answers that carried an address never seen before. Default 0.8. */
      minNewShare: z.number().min(0).max(1).default(0.8),
      /** Most addresses in any one answer (slow flux answers one or two). Default 2. */
      maxAnswerSize: z.number().int().min(1).default(2),
      /** Seconds: the smallest TTL seen must be at most this. Default 60. */
      maxTtl: z.number().int().min(0).default(60),
      /** Seconds between the first and the last lookup. Default 7200 (2 h). */
      minSpan: z.number().int().min(0).default(7200),
    })
    .prefault({}),
  /** Each feature adds `points` scaled linearly from `low` (nothing) to `high` (all); when low > high the ramp is reversed (smaller is worse). */
  weights: z
    .strictObject({
      /** Distinct ASNs of the answers. */
      asns: ramp(2, 8, 25),
      /** Distinct countries of the answers: spread over countries is flux's stronger sign (a national CDN spans several ASNs of one country). */
      countries: ramp(1, 4, 25),
      /** Distinct /16 (IPv4) and /48 (IPv6) prefixes. */
      prefixes: ramp(2, 12, 10),
      /** Distinct addresses over the run. */
      ips: ramp(4, 30, 10),
      /** New addresses per hour. */
      ips_per_hour: ramp(4, 20, 5),
      /** Minimum TTL, seconds (reversed: lower is worse). */
      ttl_min: ramp(900, 60, 10),
      /** Mean answer-set churn, 0..1. */
      churn: ramp(0.3, 0.9, 10),
      /** Distinct NS names. */
      ns_names: ramp(2, 8, 15),
      /** Distinct name-server addresses. */
      ns_addresses: ramp(2, 10, 10),
      /** Distinct ASNs of the name-server addresses. */
      ns_asns: ramp(1, 3, 15),
      /** Distinct CNAME targets. */
      cname_targets: ramp(2, 8, 10),
      /** Addresses shared with a known flux network (domains already detected as fast-flux). */
      network_addresses: ramp(0, 2, 60),
      /** Share of the name's own addresses a known flux network already held: a name that resolves only into a botnet is flagged on first sight. */
      network_share: ramp(0.5, 1, 30),
      /** 1 when the name shows slow flux (see slowFlux): a few lookups over hours, nearly every answer new, spread over networks and countries. */
      slow_flux: ramp(0, 1, 30),
      /** Suspicious names (distinct registered domains) of a promoted network of suspicious names the name belongs to (see networks.suspicious). */
      network_names: ramp(0, 1, 30),
      /** Name-server (glue) addresses shared with a known flux network: the name servers run on bots. */
      ns_network_addresses: ramp(0, 2, 60),
      /**
       * Answer addresses threat-intelligence feeds (intel.feeds) list as flux infrastructure, each weighed by its
       * feed's confidence/100: one address of a feed at the default confidence (50) flags a name fast-flux on its first
       * lookup, as addresses of a flux network do. Never a known CDN/cloud address, pool, top site or allowlisted name.
       */
      intel_evidence: ramp(0, 0.5, 60),
      /**
       * The name's own (not CDN/cloud) addresses that took connections in flow data (NetFlow/IPFIX, conn.log, eve
       * flow) within the window: live hosts behind rotating answers. Modest on purpose: popular sites take
       * connections too, so flows confirm other evidence and never flag a name alone.
       */
      flow_evidence: ramp(1, 8, 10),
      /** Share of the answers in known CDN/cloud ranges or ASNs (1 when the CNAME chain points into one). Lowers the score. */
      known_infra_share: ramp(0.2, 0.8, -60),
      /** Top-site lists the registered domain is on (0..5). Lowers the score. */
      top_site_lists: ramp(0, 2, -25),
      /** The name is in a known volunteer or mirror pool (0 or 1). Lowers the score. */
      pool: ramp(0, 1, -100),
      /** The name is under a dynamic-DNS provider (0 or 1). Lowers the score. */
      dynamic_dns: ramp(0, 1, -20),
    })
    .prefault({}),
  /** What follows a verdict: the vocabulary the RPZ feed, the blocklists and the resolver share. */
  policy: z
    .strictObject({
      /** What a query for a fast-flux name gets: nxdomain, nodata, drop (no answer), sinkhole (the sinkhole answer) or log (answered normally, logged). Default nxdomain. */
      fastFlux: policyAction.default('nxdomain'),
      /** The same for suspicious names. Default log. */
      suspicious: policyAction.default('log'),
      sinkhole: z
        .strictObject({
          /** Absolute name the sinkhole action points to with a CNAME (RPZ); null to answer with the addresses below. Default null. */
          name: z.string().min(1).max(253).nullable().default(null),
          /** Address given for A queries: where the block page listens. Default 127.0.0.1. */
          ipv4: z.ipv4().default('127.0.0.1'),
          /** Address given for AAAA queries. Default ::1. */
          ipv6: z.ipv6().default('::1'),
        })
        .prefault({}),
      /** Names never blocked, with everything under them (they go first in the RPZ as PASSTHRU). Default none. */
      allowlist: z.array(z.string().min(1).max(253)).default([]),
      /** Files with one allowlisted name per line ('#' starts a comment); re-read on SIGHUP. Default none. */
      allowlistFiles: z.array(z.string().min(1)).default([]),
      /** Bytes one allowlist file may hold; a bigger file (or one that is not a regular file) is a config error. Default 67108864 (64 MiB). */
      allowlistMaxBytes: z.number().int().min(1).default(64 * 1024 * 1024),
      /** Seconds a flagged domain stays blocked after it was last seen fluxing. Default 604800 (7 days). */
      expiry: z.number().int().min(60).default(604_800),
    })
    .prefault({}),
  /** The RPZ zone fluxhound writes (`--rpz`, `--rpz-file`) and serves: its origin, SOA and which triggers it carries. */
  rpz: z
    .strictObject({
      /** Zone origin, an absolute name. Default rpz.fluxhound. */
      origin: z.string().min(2).max(200).default('rpz.fluxhound.'),
      /** Seconds. TTL of every record in the zone. Default 60. */
      ttl: z.number().int().min(0).max(2_147_483_647).default(60),
      soa: z
        .strictObject({
          /** Primary name server in the SOA (and the apex NS), absolute. Default localhost. */
          mname: z.string().min(1).max(253).default('localhost.'),
          /** Responsible mailbox as a name (first label = user), absolute. Default hostmaster.localhost. */
          rname: z.string().min(1).max(253).default('hostmaster.localhost.'),
          /** Seconds between a secondary's checks for a new serial. Default 300. */
          refresh: z.number().int().min(1).max(2_147_483_647).default(300),
          /** Seconds before a secondary retries a failed check. Default 60. */
          retry: z.number().int().min(1).max(2_147_483_647).default(60),
          /** Seconds a secondary keeps serving the zone without reaching the primary. Default 604800 (7 days). */
          expire: z.number().int().min(1).max(2_147_483_647).default(604_800),
          /** Seconds negative answers from the zone may be cached (SOA minimum). Default 60. */
          minimum: z.number().int().min(0).max(2_147_483_647).default(60),
        })
        .prefault({}),
      /** Block the fluxing name servers of double-flux domains (rpz-nsdname triggers). Default true. */
      nsdname: z.boolean().default(true),
      /** Also block by the addresses of those name servers (rpz-nsip triggers). Default false. */
      nsip: z.boolean().default(false),
      /** Also block answers that contain a flux address (rpz-ip triggers); never a CDN/cloud or allowlisted address. Default false. */
      ip: z.boolean().default(false),
    })
    .prefault({}),
  /** STIX 2.1 output (`analyze --stix FILE`): who signs the bundle and how it may be shared. */
  stix: z
    .strictObject({
      /** Producer name on the identity object every shared object is created by. Default fluxhound. */
      identity: z.string().min(1).max(200).default('fluxhound'),
      /** TLP 2.0 marking on every object: clear, green, amber, amber+strict or red. Default amber. */
      tlp: z.enum(['clear', 'green', 'amber', 'amber+strict', 'red']).default('amber'),
      /** Also share suspicious names (as anomalous-activity indicators); fast-flux names always. Default false. */
      suspicious: z.boolean().default(false),
    })
    .prefault({}),
  /** The MISP feed fluxhound writes (`analyze --misp-feed DIR`): who publishes it and how it may be shared. */
  misp: z
    .strictObject({
      /** The producing organisation (the events' Orgc): its name and MISP uuid. Default fluxhound with a fixed uuid. */
      org: z
        .strictObject({
          name: z.string().min(1).max(255).default('fluxhound'),
          uuid: z
            .string()
            .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a lower-case UUID')
            .default('d1ccbcff-38ef-5239-882e-7cb269b9345e'),
        })
        .prefault({}),
      /** Traffic Light Protocol tag on every event: clear, white, green, amber, amber+strict or red. Default amber. */
      tlp: z.enum(['clear', 'white', 'green', 'amber', 'amber+strict', 'red']).default('amber'),
      /** Distribution of attributes and objects: 0 your org, 1 community, 2 connected, 3 all, 5 inherit the event's. Default 5. */
      distribution: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(5)]).default(5),
    })
    .prefault({}),
  /**
   * Customers: who the clients are. Every query-log entry, block and report is attributed to the customer whose
   * network holds the client (the longest matching prefix). Default none.
   */
  customers: z
    .array(
      z.strictObject({
        /** Short identifier: letters, digits, '-', '_' and '.' (used in URLs and report file names). */
        id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
        /** Display name. */
        name: z.string().min(1).max(200),
        /** Who to tell (an e-mail address, a ticket queue); shown in reports. Default empty. */
        contact: z.string().max(200).default(''),
        /** Client networks (CIDR, or single addresses) of this customer. */
        networks: z.array(z.string().min(1)).min(1),
      }),
    )
    .refine((list) => new Set(list.map((c) => c.id)).size === list.length, { message: 'customer ids must be unique' })
    .default([]),
  /**
   * Threat-intelligence feeds (src/intel/README.md): known flux domains, addresses and networks read by detection.
   * Proposed by issue 15's intel-core branch; read by `analyze` and `serve` once wired (next session).
   */
  intel: z
    .strictObject({
      feeds: z
        .array(
          z
            .strictObject({
              /** Short name: letters, digits, '.', '_', '-'; named in every hit's provenance and in metrics. */
              name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
              /** A local file. Exactly one of path and url. Default null. */
              path: z.string().min(1).nullable().default(null),
              /** An http(s) URL fetched with ETag/If-Modified-Since (or a TAXII 2.1 collection). Default null. */
              url: z.string().regex(/^https?:\/\/\S+$/).nullable().default(null),
              /** list, csv, rpz, stix, misp or taxii; null = sniffed from the content. Default null. */
              kind: z.enum(['list', 'csv', 'rpz', 'stix', 'misp', 'taxii', 'warninglist']).nullable().default(null),
              /** csv only: the column by header name or 1-based number. Default null. */
              column: z.union([z.string().min(1), z.number().int().min(1)]).nullable().default(null),
              /** What a listed domain gets: block (the policy's action) or log. Default log. */
              action: z.enum(['block', 'log']).default('log'),
              /** Seconds between fetches of a URL feed (re-reads of a file). Default 3600. */
              refresh: z.number().int().min(60).default(3600),
              /** Seconds a loaded copy stays valid without a good refresh; 0 = never expires. Default 0. */
              expiry: z.number().int().min(0).default(0),
              /** 0..100: how far the feed is trusted; reported with every hit. Default 50. */
              confidence: z.number().int().min(0).max(100).default(50),
              /** taxii only: the collection's id or title; null = the API root's only readable collection. Default null. */
              collection: z.string().min(1).nullable().default(null),
              /** URL feeds: credentials. user + passwordFile = HTTP basic; tokenFile = Bearer (a file, so no secret sits in the config). Default none. */
              auth: z
                .strictObject({
                  user: z.string().min(1).nullable().default(null),
                  passwordFile: z.string().min(1).nullable().default(null),
                  tokenFile: z.string().min(1).nullable().default(null),
                })
                .refine((a) => (a.user === null) === (a.passwordFile === null), { message: 'auth.user and auth.passwordFile go together' })
                .refine((a) => a.tokenFile === null || a.user === null, { message: 'auth takes basic (user, passwordFile) or a tokenFile, not both' })
                .prefault({}),
              /** https URL feeds: a PEM file of CA certificates to trust instead of the system's. Default null. */
              ca: z.string().min(1).nullable().default(null),
            })
            .refine((f) => (f.path === null) !== (f.url === null), { message: 'an intel feed takes exactly one of path and url' })
            .refine((f) => f.kind !== 'csv' || f.column !== null, { message: 'a csv intel feed needs its column' }),
        )
        .refine((list) => new Set(list.map((f) => f.name)).size === list.length, { message: 'intel feed names must be unique' })
        .default([]),
      /** Directory keeping the last good copy of every URL feed (and its ETag/Last-Modified), so a restart or an unreachable feed keeps working. Default fluxhound-intel. */
      cacheDir: z.string().min(1).default('fluxhound-intel'),
      /** Milliseconds a URL fetch (every page of a TAXII poll) may take. Default 30000. */
      timeout: z.number().int().min(100).max(600_000).default(30_000),
      /** Bytes one feed's fetch or file may hold; a larger one is refused and its previous copy kept. Default 268435456 (256 MiB). */
      maxBytes: z.number().int().min(1024).default(256 * 1024 * 1024),
    })
    .prefault({}),
  /** Flow data (NetFlow v5/v9, IPFIX, Zeek conn.log, Suricata eve flow/netflow, nfdump csv) joined with the DNS verdicts: exposures, fan-out, DNS bypass, flow evidence. */
  flows: z
    .strictObject({
      /** Seconds a flow may come before the DNS answer it belongs to, or after the name's last answer, and still be joined with it (late, reordered or long-cached flows). Default 300. */
      lateness: z.number().int().min(0).max(86_400).default(300),
      fanOut: z
        .strictObject({
          /** Seconds of the fan-out window. Default 300. */
          window: z.number().int().min(1).max(86_400).default(300),
          /** Distinct external addresses (never known CDN/cloud/service addresses) one host may contact within the window before it is reported; 0 = off. Default 200. */
          distinct: z.number().int().min(0).default(200),
        })
        .prefault({}),
      limits: z
        .strictObject({
          /** Hosts of ours tracked (fan-out, DNS bypass); the least recently seen make room. Default 100000. */
          maxHosts: z.number().int().min(16).default(100_000),
          /** Remote addresses tracked with their clients and counts; the least recently seen make room. Default 200000. */
          maxAddresses: z.number().int().min(16).default(200_000),
          /** Clients remembered per remote address (counts stay exact as totals; beyond it clients are sketched). Default 64. */
          maxClientsPerAddress: z.number().int().min(1).max(4096).default(64),
          /** Client entries over all remote addresses (per-address client tallies; and, apart, clients that received an address in a DNS answer); the least recently seen addresses make room. ~260 B a tally, ~165 B a receipt: 500,000 each is at most ~215 MB. Default 500000. */
          maxClientEntries: z.number().int().min(64).default(500_000),
          /** Names remembered per host as looked up through the monitored resolvers (DNS bypass). Default 64. */
          maxLookupsPerHost: z.number().int().min(1).max(4096).default(64),
        })
        .prefault({}),
      templates: z
        .strictObject({
          /** Seconds a NetFlow v9/IPFIX template stays usable without being re-announced (RFC 7011 templates over UDP). Default 1800. */
          lifetime: z.number().int().min(1).default(1800),
          /** Templates kept over all exporters and observation domains; the oldest announced make room. Default 10000. */
          max: z.number().int().min(1).default(10_000),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * Worker threads for detection (analyze, and serve's detector): every name of one registered domain lands in one
   * worker (detect/partition.ts). 'auto' = the machine's cores (os.availableParallelism, at most 16) on 4 cores or
   * more, else 1 (every worker decodes the whole input: on 2 cores two workers measured slower); 1 = one thread,
   * no workers. The --workers flag wins. Default 'auto'. serve: 'auto' is 1 (give N for N threads), and one thread
   * anyway when flows, intel feeds or active confirmation need the detector in the main thread (logged).
   */
  workers: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
  /**
   * A ClickHouse cluster (--cluster URL): sensors write enriched observations to it, a judge scores the candidates
   * its aggregates show and writes verdicts back, and every node follows the verdict table. Off while url is null.
   */
  cluster: z
    .strictObject({
      /** http(s)://[USER:PASSWORD@]HOST:PORT of one node's HTTP interface (8123); null = no cluster. Default null. */
      url: z.string().url().nullable().default(null),
      /** Database of fluxhound's tables (letters, digits, '_'). Default fluxhound. */
      database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/).default('fluxhound'),
      /** The remote_servers cluster the Distributed tables span (letters, digits, '_'). Default fluxhound. */
      name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/).default('fluxhound'),
      /** This node's name in rows, verdicts and the judge lease; null = the host name. Default null. */
      node: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).nullable().default(null),
      /** Seconds per aggregate bucket of the per-window materialized views. Default 300. */
      bucket: z.number().int().min(10).max(3600).default(300),
      /** Observations per insert; a batch also leaves after intervalMs. Default 20000. */
      batchRows: z.number().int().min(1).max(1_000_000).default(20_000),
      /** Milliseconds a batch waits to fill before it is inserted. Default 1000. */
      batchMs: z.number().int().min(10).max(60_000).default(1000),
      /** Directory of the on-disk spool that holds batches while the cluster is unreachable; null = beside the store (or the working directory). Default null. */
      spoolDir: z.string().min(1).nullable().default(null),
      /** Bytes the spool may hold; when full the oldest batches are dropped and counted. Default 1073741824 (1 GiB). */
      spoolBytes: z.number().int().min(1_048_576).default(1_073_741_824),
      /** Who judges: 'lease' (the node holding the judge lease), 'always' (this node), 'never'. Default lease. */
      judge: z.enum(['lease', 'always', 'never']).default('lease'),
      /** Milliseconds between the judge's cycles. Default 5000. */
      judgeMs: z.number().int().min(100).max(3_600_000).default(5000),
      /** Milliseconds a judge lease lasts unless renewed (renewed every judgeMs). Default 30000. */
      leaseMs: z.number().int().min(1000).max(3_600_000).default(30_000),
      /** Milliseconds between reads of the verdict table into this node's flagged set. Default 2000. */
      followMs: z.number().int().min(100).max(600_000).default(2000),
      /** Every shard's HTTP URL (cluster.url may be one of them), for what runs on each node's local tables: retention. [] = cluster.url alone. Default []. */
      nodes: z.array(z.string().url()).default([]),
      /** Days the cluster keeps observations, aggregates, verdicts and the query log (whole days, dropped as partitions); null = keep everything. Default 30. */
      retentionDays: z.number().int().min(1).max(36_500).nullable().default(30),
      /** Milliseconds between the lease holder's retention runs (the first one pruneMs after it starts). Default 3600000. */
      pruneMs: z.number().int().min(60_000).max(86_400_000).default(3_600_000),
    })
    .prefault({}),
  /** `fluxhound serve`: the Protective DNS forwarder, the store and the HTTP endpoint. Every value is also a flag, which wins. */
  serve: z
    .strictObject({
      dns: z
        .strictObject({
          /** ADDRESS:PORT the forwarder listens on (UDP and TCP); null = no forwarder. Default null. */
          listen: z.string().min(1).nullable().default(null),
          /** Upstream resolvers, tried in turn: ADDRESS:PORT (port 53 when left out), tls://ADDRESS:PORT#NAME (DNS over TLS, 853) or https://ADDRESS:PORT/PATH#NAME (DNS over HTTPS, 443, /dns-query); NAME is what the certificate must carry. Default none. */
          upstreams: z.array(z.string().min(1)).default([]),
          /** PEM CA bundle file that tls:// and https:// upstream certificates must chain to; it REPLACES the system roots for every encrypted upstream (to trust both, concatenate the system bundle and the private CA into one file); null = the system roots. Default null. */
          upstreamCa: z.string().min(1).nullable().default(null),
          /** Connections to tls:// and https:// upstreams; the CA file above is re-read on SIGHUP (a bad one refuses the reload). */
          upstreamTls: z
            .strictObject({
              /** Queries in flight on one connection to an encrypted upstream (HTTP/2: streams, never more than the server allows); beyond it a query waits within its timeout. At most 1024: times 16 connections, 16,384 written at once, well inside the 65,536 query IDs of one upstream. Default 100. */
              maxInFlight: z.number().int().min(1).max(1024).default(100),
              /** TLS connections kept per tls:// upstream, a new one opened only when the others are full (https:// uses one HTTP/2 session). Default 2. */
              connections: z.number().int().min(1).max(16).default(2),
            })
            .prefault({}),
          /** Client networks (CIDR) that may ask; everyone else is REFUSED. Default loopback only. */
          allow: z.array(z.string().min(1)).default(['127.0.0.0/8', '::1/128']),
          /** Queries per second per client address before queries are dropped; 0 = no limit. Default 200. */
          rateLimit: z.number().min(0).default(200),
          /** Milliseconds to wait for one upstream before trying the next or answering SERVFAIL. Default 2000. */
          timeout: z.number().int().min(50).max(60_000).default(2000),
          /** Bytes the answer cache may hold (answers, their TTL tables and a fixed per-entry overhead); the oldest make room. 0 = no cache. Default 67108864 (64 MiB). */
          cacheBytes: z.number().int().min(0).default(64 * 1024 * 1024),
          /** Bytes: an answer larger than this is forwarded but never cached. Default 16384. */
          cacheAnswerBytes: z.number().int().min(512).max(65_535).default(16_384),
          /** Seconds: longest time an answer stays cached, whatever its TTL. Default 86400. */
          maxTtl: z.number().int().min(0).default(86_400),
          /** Queries waiting for an upstream at once, each holding one UDP socket (a file descriptor); when full, a client holding fewer than another takes that one's oldest slot, else SERVFAIL. Default 4096. */
          maxPending: z.number().int().min(1).default(4096),
          /** Queries one client address may have waiting for an upstream; beyond it, SERVFAIL at once. Default 64. */
          maxPendingPerClient: z.number().int().min(1).default(64),
          /** Upstream answers waiting for the detector; when full, answers are forwarded unexamined (fail-open). Default 10000. */
          detectorQueue: z.number().int().min(1).default(10_000),
          /** DNS over TLS (RFC 7858): the same forwarder, its answers and blocks, on a TLS 1.2+ listener with ALPN 'dot'. */
          dot: z
            .strictObject({
              /** ADDRESS:PORT of the DoT listener (--dot), usually port 853; null = off. Default null. */
              listen: z.string().min(1).nullable().default(null),
              /** PEM certificate (chain) and key files (--dot-cert, --dot-key), re-read on SIGHUP; needed when listen is set. Default null. */
              tls: tlsFiles(),
              /**
               * A domain whose one-label subdomains name customers by SNI (--dot-customer-domain): a client that connects
               * as acme.dns.example.net is customer acme (a configured id), whatever its address. Default null (address only).
               */
              customerDomain: z
                .string()
                .regex(/^(?=.{1,253}\.?$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/, 'a domain name such as dns.example.net')
                .nullable()
                .default(null),
              /** Milliseconds a DoT connection may rest between queries before it is closed (close_notify), announced to clients that send edns-tcp-keepalive (RFC 7828); longer than serve.net.idleMs, as RFC 7858 section 3.4 advises. Default 30000. */
              idleMs: z.number().int().min(10).max(6_553_500).default(30_000),
              /** Queries of one DoT connection waiting for answers at once; the next wait unread until one is answered. A resolver forwarding through few connections may want more (and a larger maxPendingPerClient). Default 32. */
              maxInFlight: z.number().int().min(1).max(4096).default(32),
              /** Client networks (CIDR) that may connect to DoT (--dot-allow); others are refused at accept. null = serve.dns.allow. Default null. */
              allow: z.array(z.string().min(1)).nullable().default(null),
              /** Answer only connections whose SNI names a configured customer under customerDomain (--dot-require-customer); others get REFUSED. Default false. */
              requireCustomer: z.boolean().default(false),
            })
            .prefault({}),
          /** DNS over HTTPS (RFC 8484) at /dns-query, answered by this forwarder (src/serve/dns/doh.ts). */
          doh: z
            .strictObject({
              /** ADDRESS:PORT of the DoH listener (HTTP/2 and HTTP/1.1 over TLS); null = off. Default null. */
              listen: z.string().min(1).nullable().default(null),
              /** PEM certificate (chain) and key files, re-read on SIGHUP; required when listen is set. Default null. */
              tls: tlsFiles(),
              /** Client networks (CIDR) that may connect to DoH (--doh-allow); others are refused at accept. null = serve.dns.allow. Default null. */
              allow: z.array(z.string().min(1)).nullable().default(null),
              /** Answer only /dns-query/CUSTOMER for a configured customer (--doh-require-customer); /dns-query gets 403. Default false. */
              requireCustomer: z.boolean().default(false),
            })
            .prefault({}),
        })
        .prefault({}),
      store: z
        .strictObject({
          /** SQLite file holding domains, verdict history, passive-DNS tuples and flux networks; null = no store. Default fluxhound.db. */
          path: z.string().min(1).nullable().default('fluxhound.db'),
          /** Days passive-DNS tuples and verdict history are kept. Default 30. */
          retention: z.number().min(0.0001).default(30),
          /** Milliseconds between batched writes (what `kill -9` can lose at most). Default 1000. */
          flushInterval: z.number().int().min(50).max(60_000).default(1000),
          /** Bytes the database file may grow to (SQLite max_page_count); beyond it writes fail, are counted and /health says so; null = no cap. Default null. */
          maxBytes: z.number().int().min(65_536).nullable().default(null),
        })
        .prefault({}),
      http: z
        .strictObject({
          /** ADDRESS:PORT of the console, the JSON API (/api/v1/), GET /metrics and GET /health; null = off. Default null. */
          listen: z.string().min(1).nullable().default(null),
          /** Seconds the oldest observation may wait for the detector before GET /health answers 503. Default 10. */
          maxDetectorLag: z.number().min(0.001).default(10),
          /** File of API tokens, one per line: TOKEN ROLE NAME (roles read, write, admin; '#' starts a comment); re-read on SIGHUP. Every HTTP request but the console's static files needs one. Default null (the listener refuses to start without it). */
          tokens: z.string().min(1).nullable().default(null),
          /** TLS for the listener: PEM certificate (chain) and key files, re-read on SIGHUP; both null = plain HTTP. Default null. */
          tls: tlsFiles(),
          /** Bytes a request body (JSON) may hold. Default 65536. */
          maxBodyBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(65_536),
        })
        .prefault({}),
      /** The TAXII 2.1 server of fluxhound's findings (src/serve/taxii): tokens are serve.http.tokens (--api-tokens). */
      taxii: z
        .strictObject({
          /** ADDRESS:PORT (a bare port listens on 127.0.0.1); null = off. Default null. */
          listen: z.string().min(1).nullable().default(null),
          /** TLS: PEM certificate (chain) and key files, re-read on SIGHUP; both null = plain HTTP. Default null. */
          tls: tlsFiles(),
          /** The write collection partners POST indicators into (role write); they feed detection as intel feed taxii:<poster>. */
          inbox: z
            .strictObject({
              /** Offer the write collection. Default false. */
              enabled: z.boolean().default(false),
              /** What a domain a partner posts gets: block or log. Default log. */
              action: z.enum(['block', 'log']).default('log'),
              /** 0..100: how far posted indicators are trusted. Default 50. */
              confidence: z.number().int().min(0).max(100).default(50),
              /** Objects kept per poster; older ones are dropped first. Default 100000. */
              maxObjects: z.number().int().min(1).default(100_000),
            })
            .prefault({}),
        })
        .prefault({}),
      /** The flow collector (--flows): NetFlow v5/v9 and IPFIX over UDP. */
      flows: z
        .strictObject({
          /** udp:ADDRESS:PORT the collector listens on; null = off. Default null. */
          listen: z.string().min(1).nullable().default(null),
          /** Exporter networks (CIDR) whose datagrams are read; others are dropped and counted. Default loopback only. */
          exporters: z.array(z.string().min(1)).default(['127.0.0.0/8', '::1/128']),
          /** Exporters tracked with their own statistics; beyond it new exporters are dropped and counted. Default 1024. */
          maxExporters: z.number().int().min(1).default(1024),
          /** Bytes of the socket's receive buffer (SO_RCVBUF) to ride out bursts. Default 8388608 (8 MiB). */
          receiveBuffer: z.number().int().min(65_536).default(8 * 1024 * 1024),
        })
        .prefault({}),
      /** The query log: every blocked query (and a sample of the others) with time, client, customer, name, type, action and the verdict or rule behind it. */
      querylog: z
        .strictObject({
          /** Record blocked queries and flagged names answered under policy log. Default true. */
          enabled: z.boolean().default(true),
          /** Share (0..1) of the other queries (answered normally) recorded too; 1 = every query. Default 0. */
          sample: z.number().min(0).max(1).default(0),
          /** Days query-log rows are kept in the store. Default 30. */
          retention: z.number().min(0.0001).default(30),
          /** Entries waiting to be written (store, file, syslog); beyond it new ones are dropped and counted. Default 100000. */
          maxPending: z.number().int().min(100).default(100_000),
          /** NDJSON file each entry is appended to (one line each); null = none. Default null. */
          ndjson: z.string().min(1).nullable().default(null),
          /** Field names of the NDJSON and syslog lines: fluxhound's own, or the Elastic Common Schema's (client.ip, dns.question.name, ...). Default fluxhound. */
          fields: z.enum(['fluxhound', 'ecs']).default('fluxhound'),
          syslog: z
            .strictObject({
              /** ADDRESS:PORT of a syslog receiver (RFC 5424 messages); null = none. Default null. */
              address: z.string().min(1).nullable().default(null),
              /** udp (one message per datagram, RFC 5426) or tcp (octet-counted frames, RFC 6587). Default udp. */
              transport: z.enum(['udp', 'tcp']).default('udp'),
              /** Facility number (0..23) of every message; 16 = local0. Default 16. */
              facility: z.number().int().min(0).max(23).default(16),
              /** APP-NAME of every message. Default fluxhound. */
              appName: z.string().min(1).max(48).default('fluxhound'),
            })
            .prefault({}),
        })
        .prefault({}),
      /** Transparency reports written on a schedule, one per customer (the same as `fluxhound report`). */
      reports: z
        .strictObject({
          /** Folder the reports go to; null = no scheduled reports. Default null. */
          dir: z.string().min(1).nullable().default(null),
          /** Seconds between two runs; each covers the time since the previous one. Default 86400 (daily). */
          interval: z.number().int().min(60).default(86_400),
          /** Formats written each run, among html, csv and json. Default [html, json]. */
          formats: z.array(z.enum(['html', 'csv', 'json'])).min(1).default(['html', 'json']),
        })
        .prefault({}),
      /** Active confirmation (--confirm): suspicious names re-resolved through the upstream resolvers until confirmed fast-flux or cleared. */
      confirm: z
        .strictObject({
          /** Probe suspicious names; needs an upstream (serve.dns.upstreams or --upstream). Default false. */
          enabled: z.boolean().default(false),
          /** Seconds: shortest wait between two probes of one name (the next comes at max(TTL, minInterval)). Default 5. */
          minInterval: z.number().min(0.1).default(5),
          /** Seconds: longest wait between two probes of one name, whatever its TTL (so a name is settled within minutes; an upstream cache may answer a long-TTL name, which then looks as stable as it is). Default 120. */
          maxInterval: z.number().min(0.1).default(120),
          /** Probes (queries, one name and type each) per name; then a name not yet fast-flux is cleared. Default 12. */
          maxProbesPerName: z.number().int().min(1).max(1000).default(12),
          /** Names being confirmed at once; the oldest is given up for a new one. Default 1000. */
          maxNames: z.number().int().min(1).default(1000),
          /** Probes per second, all names together. Default 20. */
          ratePerSecond: z.number().min(0.01).default(20),
          /** Query types of each re-resolution, among A, AAAA and NS. Default [A, AAAA, NS]. */
          qtypes: z.array(z.enum(['A', 'AAAA', 'NS'])).min(1).default(['A', 'AAAA', 'NS']),
        })
        .refine((c) => c.minInterval <= c.maxInterval, { message: 'minInterval must not exceed maxInterval' })
        .prefault({}),
      /** The connection governor every TCP, HTTP and unix listener goes through (DNS over TCP, block page, RPZ server, dnstap, HTTP). */
      net: z
        .strictObject({
          /** Connections all listeners together may hold; 0 = the file-descriptor soft limit minus fdReserve. Default 0. */
          maxConnections: z.number().int().min(0).default(0),
          /** File descriptors kept free of connections for the store, upstream sockets, RPZ and log writes. Default 256. */
          fdReserve: z.number().int().min(0).default(256),
          /** Connections one listener (one dnstap endpoint) may hold. Default 512. */
          listenerConnections: z.number().int().min(1).default(512),
          /** Connections one client address may hold on one listener. Default 32. */
          clientConnections: z.number().int().min(1).default(32),
          /** TLS handshakes one listener may have in progress at once (never more than its connection cap). Default 128. */
          listenerHandshakes: z.number().int().min(1).default(128),
          /** TLS handshakes one client address may have in progress on one listener. Default 8. */
          clientHandshakes: z.number().int().min(1).default(8),
          /** TLS handshakes one client address may start per second on one listener (burst: one second's worth); 0 = no limit. Default 20. */
          clientHandshakesPerSecond: z.number().min(0).default(20),
          /** Milliseconds from accept to the first byte; a TLS handshake must end within it too, then the first byte gets as long again. Default 5000. */
          firstByteMs: z.number().int().min(10).default(5000),
          /** Milliseconds from the first byte of a frame (a DNS or dnstap message, an HTTP request header) to its last; more bytes do not extend it. Default 5000. */
          frameMs: z.number().int().min(10).default(5000),
          /** Milliseconds a connection may sit between frames with nothing pending. Default 10000. */
          idleMs: z.number().int().min(10).default(10_000),
          /** Unsent reply bytes per connection past which it is no longer read until the client drains them. Default 65536. */
          outboundPauseBytes: z.number().int().min(1024).default(65_536),
          /** Unsent reply bytes per connection past which it is closed. Default 4194304 (4 MiB). */
          outboundMaxBytes: z.number().int().min(1024).default(4_194_304),
          /** Per-request and per-connection log lines per key (service and client, or listener and reason) per logIntervalMs. Default 10. */
          logBurst: z.number().int().min(1).default(10),
          /** Milliseconds of the log rate-limit window. Default 10000. */
          logIntervalMs: z.number().int().min(100).default(10_000),
        })
        .prefault({}),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type WeightName = keyof Config['weights'];
export type Ramp = Config['weights'][WeightName];

export function defaultConfig(): Config {
  return configSchema.parse({});
}
