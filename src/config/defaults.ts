/**
 * The defaults every setting has in schema.ts, as a plain literal: analyze without --config or flags
 * that set config starts from it and never loads zod and yaml (~170 modules, ~0.1 s of CPU at each
 * start). A test keeps it equal to what the schema makes of an empty config; to refresh it after a
 * schema change, print JSON.stringify(configSchema.parse({}), null, 2) and paste it here.
 */
import type { Config } from './schema.js';

const DEFAULTS: Config = {
  window: 3600,
  lowTtl: 300,
  limits: {
    maxDomains: 500000,
    idleTimeout: 86400,
    maxAddressesPerDomain: 64,
    maxNamesPerDomain: 16,
    maxNetworkAddresses: 1000000
  },
  verdict: {
    fastFlux: 60,
    suspicious: 30,
    doubleFluxPoints: 10,
    minAsnsForTiming: 3,
    zoneMaxLookupsPerName: 3
  },
  geography: {
    minAsns: 2,
    maxAsns: 8,
    maxIps: 200,
    maxPoints: 20
  },
  networks: {
    minAddresses: 10,
    minAsns: 5,
    minCountries: 3,
    minSharedAddresses: 2,
    weakEvidence: 0.5,
    sharedHostDomains: 8,
    suspicious: {
      minNames: 3,
      minAddresses: 10,
      minAsns: 5,
      minCountries: 3,
      maxAddresses: 100000
    }
  },
  slowFlux: {
    minAsns: 5,
    minCountries: 3,
    minNewAnswers: 3,
    minNewShare: 0.8,
    maxAnswerSize: 2,
    maxTtl: 60,
    minSpan: 7200
  },
  weights: {
    asns: {
      low: 2,
      high: 8,
      points: 25
    },
    countries: {
      low: 1,
      high: 4,
      points: 25
    },
    prefixes: {
      low: 2,
      high: 12,
      points: 10
    },
    ips: {
      low: 4,
      high: 30,
      points: 10
    },
    ips_per_hour: {
      low: 4,
      high: 20,
      points: 5
    },
    ttl_min: {
      low: 900,
      high: 60,
      points: 10
    },
    churn: {
      low: 0.3,
      high: 0.9,
      points: 10
    },
    ns_names: {
      low: 2,
      high: 8,
      points: 15
    },
    ns_addresses: {
      low: 2,
      high: 10,
      points: 10
    },
    ns_asns: {
      low: 1,
      high: 3,
      points: 15
    },
    cname_targets: {
      low: 2,
      high: 8,
      points: 10
    },
    network_addresses: {
      low: 0,
      high: 2,
      points: 60
    },
    network_share: {
      low: 0.5,
      high: 1,
      points: 30
    },
    slow_flux: {
      low: 0,
      high: 1,
      points: 30
    },
    network_names: {
      low: 0,
      high: 1,
      points: 30
    },
    ns_network_addresses: {
      low: 0,
      high: 2,
      points: 60
    },
    intel_evidence: {
      low: 0,
      high: 0.5,
      points: 60
    },
    flow_evidence: {
      low: 1,
      high: 8,
      points: 10
    },
    known_infra_share: {
      low: 0.2,
      high: 0.8,
      points: -60
    },
    top_site_lists: {
      low: 0,
      high: 2,
      points: -25
    },
    pool: {
      low: 0,
      high: 1,
      points: -100
    },
    dynamic_dns: {
      low: 0,
      high: 1,
      points: -20
    }
  },
  policy: {
    fastFlux: 'nxdomain',
    suspicious: 'log',
    sinkhole: {
      name: null,
      ipv4: '127.0.0.1',
      ipv6: '::1'
    },
    allowlist: [],
    allowlistFiles: [],
    allowlistMaxBytes: 67108864,
    expiry: 604800
  },
  rpz: {
    origin: 'rpz.fluxhound.',
    ttl: 60,
    soa: {
      mname: 'localhost.',
      rname: 'hostmaster.localhost.',
      refresh: 300,
      retry: 60,
      expire: 604800,
      minimum: 60
    },
    nsdname: true,
    nsip: false,
    ip: false
  },
  stix: {
    identity: 'fluxhound',
    tlp: 'amber',
    suspicious: false
  },
  misp: {
    org: {
      name: 'fluxhound',
      uuid: 'd1ccbcff-38ef-5239-882e-7cb269b9345e'
    },
    tlp: 'amber',
    distribution: 5
  },
  customers: [],
  intel: {
    feeds: [],
    cacheDir: 'fluxhound-intel',
    timeout: 30000,
    maxBytes: 268435456
  },
  flows: {
    lateness: 300,
    fanOut: {
      window: 300,
      distinct: 200
    },
    limits: {
      maxHosts: 100000,
      maxAddresses: 200000,
      maxClientsPerAddress: 64,
      maxClientEntries: 500000,
      maxLookupsPerHost: 64
    },
    templates: {
      lifetime: 1800,
      max: 10000
    }
  },
  workers: 'auto',
  cluster: {
    url: null,
    database: 'fluxhound',
    name: 'fluxhound',
    node: null,
    bucket: 300,
    batchRows: 20000,
    batchMs: 1000,
    spoolDir: null,
    spoolBytes: 1073741824,
    judge: 'lease',
    judgeMs: 5000,
    leaseMs: 30000,
    followMs: 2000,
    nodes: [],
    retentionDays: 30,
    pruneMs: 3600000
  },
  serve: {
    dns: {
      listen: null,
      upstreams: [],
      upstreamCa: null,
      upstreamTls: {
        maxInFlight: 100,
        connections: 2
      },
      allow: [
        '127.0.0.0/8',
        '::1/128'
      ],
      rateLimit: 200,
      timeout: 2000,
      cacheBytes: 67108864,
      cacheAnswerBytes: 16384,
      maxTtl: 86400,
      maxPending: 4096,
      maxPendingPerClient: 64,
      detectorQueue: 10000,
      dot: {
        listen: null,
        tls: {
          cert: null,
          key: null
        },
        customerDomain: null,
        idleMs: 30000,
        maxInFlight: 32,
        allow: null,
        requireCustomer: false
      },
      doh: {
        listen: null,
        tls: {
          cert: null,
          key: null
        },
        allow: null,
        requireCustomer: false
      }
    },
    store: {
      path: 'fluxhound.db',
      retention: 30,
      flushInterval: 1000,
      maxBytes: null
    },
    http: {
      listen: null,
      maxDetectorLag: 10,
      tokens: null,
      tls: {
        cert: null,
        key: null
      },
      maxBodyBytes: 65536
    },
    taxii: {
      listen: null,
      tls: {
        cert: null,
        key: null
      },
      inbox: {
        enabled: false,
        action: 'log',
        confidence: 50,
        maxObjects: 100000
      }
    },
    flows: {
      listen: null,
      exporters: [
        '127.0.0.0/8',
        '::1/128'
      ],
      maxExporters: 1024,
      receiveBuffer: 8388608
    },
    querylog: {
      enabled: true,
      sample: 0,
      retention: 30,
      maxPending: 100000,
      ndjson: null,
      fields: 'fluxhound',
      syslog: {
        address: null,
        transport: 'udp',
        facility: 16,
        appName: 'fluxhound'
      }
    },
    reports: {
      dir: null,
      interval: 86400,
      formats: [
        'html',
        'json'
      ]
    },
    confirm: {
      enabled: false,
      minInterval: 5,
      maxInterval: 120,
      maxProbesPerName: 12,
      maxNames: 1000,
      ratePerSecond: 20,
      qtypes: [
        'A',
        'AAAA',
        'NS'
      ]
    },
    net: {
      maxConnections: 0,
      fdReserve: 256,
      listenerConnections: 512,
      clientConnections: 32,
      listenerHandshakes: 128,
      clientHandshakes: 8,
      clientHandshakesPerSecond: 20,
      firstByteMs: 5000,
      frameMs: 5000,
      idleMs: 10000,
      outboundPauseBytes: 65536,
      outboundMaxBytes: 4194304,
      logBurst: 10,
      logIntervalMs: 10000
    }
  }
};

/** A fresh copy of the defaults, as loadConfig() would return for no file and no overrides (callers may change it). */
export function defaultSettings(): Config {
  return structuredClone(DEFAULTS);
}
