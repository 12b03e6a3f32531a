/**
 * The SQLite schema as an ordered list of migrations; PRAGMA user_version
 * says how many have run. Append, never edit: a store written by an older
 * fluxhound is brought forward on open.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE domains (
     name TEXT PRIMARY KEY,
     first_seen REAL NOT NULL,
     last_seen REAL NOT NULL,
     queries INTEGER NOT NULL DEFAULT 0,
     verdict TEXT,
     flux TEXT,
     score REAL
   ) WITHOUT ROWID;
   CREATE INDEX domains_last_seen ON domains(last_seen);
   CREATE TABLE verdicts (
     id INTEGER PRIMARY KEY,
     domain TEXT NOT NULL,
     ts REAL NOT NULL,
     verdict TEXT NOT NULL,
     flux TEXT,
     score REAL NOT NULL,
     network TEXT,
     body TEXT NOT NULL
   );
   CREATE INDEX verdicts_domain ON verdicts(domain, ts);
   CREATE INDEX verdicts_ts ON verdicts(ts);
   CREATE TABLE pdns (
     name TEXT NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     first_seen REAL NOT NULL,
     last_seen REAL NOT NULL,
     count INTEGER NOT NULL,
     ttl INTEGER,
     PRIMARY KEY (name, type, data)
   ) WITHOUT ROWID;
   CREATE INDEX pdns_last_seen ON pdns(last_seen);
   CREATE TABLE networks (
     id TEXT PRIMARY KEY,
     domains INTEGER NOT NULL,
     addresses INTEGER NOT NULL,
     asns INTEGER NOT NULL,
     countries INTEGER NOT NULL,
     sample_domains TEXT NOT NULL,
     first_seen TEXT NOT NULL,
     last_seen TEXT NOT NULL,
     updated REAL NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
  // Issue 14: the query log, per-minute stats, the operator's lists and the audit trail (README: "Query log").
  `CREATE TABLE querylog (
     id INTEGER PRIMARY KEY,
     ts REAL NOT NULL,
     client TEXT NOT NULL,
     client_key BLOB,
     customer TEXT,
     name TEXT NOT NULL,
     rname TEXT NOT NULL,
     qtype TEXT NOT NULL,
     action TEXT NOT NULL,
     rcode TEXT,
     domain TEXT,
     verdict TEXT,
     score REAL,
     rule TEXT,
     reason TEXT
   );
   CREATE INDEX querylog_ts ON querylog(ts);
   CREATE INDEX querylog_client ON querylog(client_key, ts);
   CREATE INDEX querylog_customer ON querylog(customer, ts);
   CREATE INDEX querylog_name ON querylog(rname, ts);
   CREATE INDEX querylog_action ON querylog(action, ts);
   CREATE TABLE stats (
     ts INTEGER NOT NULL,
     customer TEXT NOT NULL,
     queries INTEGER NOT NULL,
     blocked INTEGER NOT NULL,
     logged INTEGER NOT NULL,
     PRIMARY KEY (ts, customer)
   ) WITHOUT ROWID;
   CREATE INDEX stats_customer ON stats(customer, ts);
   CREATE TABLE lists (
     list TEXT NOT NULL,
     name TEXT NOT NULL,
     comment TEXT NOT NULL,
     author TEXT NOT NULL,
     at REAL NOT NULL,
     PRIMARY KEY (list, name)
   ) WITHOUT ROWID;
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY,
     at REAL NOT NULL,
     author TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT NOT NULL,
     comment TEXT NOT NULL
   );
   CREATE INDEX audit_at ON audit(at);`,
  // Per-minute totals over every customer under customer '*' (no customer id can be '*'): the overall series reads one row a minute, not one per customer.
  `INSERT OR IGNORE INTO stats (ts, customer, queries, blocked, logged)
     SELECT ts, '*', sum(queries), sum(blocked), sum(logged) FROM stats WHERE customer != '*' GROUP BY ts;`,
  // The query log's filter indexes led by a segment (a run of about 32,768 consecutive rows), so a batch's keys land in the newest
  // segment's small, cached part of each index instead of all over it (README: "Query log", "Segments"). The rows already there
  // stay in segment 0 (ADD COLUMN with a constant default rewrites nothing); the indexes are rebuilt once, in this migration.
  `ALTER TABLE querylog ADD COLUMN seg INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE querylog_segments (seg INTEGER PRIMARY KEY, min_ts REAL NOT NULL, max_ts REAL NOT NULL);
   INSERT INTO querylog_segments (seg, min_ts, max_ts)
     SELECT 0, (SELECT min(ts) FROM querylog), (SELECT max(ts) FROM querylog) WHERE EXISTS (SELECT 1 FROM querylog);
   DROP INDEX querylog_client;
   DROP INDEX querylog_customer;
   DROP INDEX querylog_name;
   DROP INDEX querylog_action;
   CREATE INDEX querylog_client ON querylog(seg, client_key, ts);
   CREATE INDEX querylog_customer ON querylog(seg, customer, ts);
   CREATE INDEX querylog_name ON querylog(seg, rname, ts);
   CREATE INDEX querylog_action ON querylog(seg, action, ts);`,
  // Issue 16: flow exposures (a client that exchanged traffic with a flux host), one row per client, domain and direction,
  // and fan-out findings; kept as long as the query log (serve.querylog.retention). client_key and rdomain as in the query log.
  `CREATE TABLE exposures (
     id INTEGER PRIMARY KEY,
     client TEXT NOT NULL,
     client_key BLOB,
     customer TEXT,
     domain TEXT NOT NULL,
     rdomain TEXT NOT NULL,
     direction TEXT NOT NULL,
     address TEXT NOT NULL,
     network TEXT,
     first REAL NOT NULL,
     last REAL NOT NULL,
     flows INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     packets INTEGER NOT NULL,
     sampled INTEGER NOT NULL,
     bypass INTEGER NOT NULL,
     reason TEXT NOT NULL,
     UNIQUE (client, domain, direction)
   );
   CREATE INDEX exposures_last ON exposures(last);
   CREATE INDEX exposures_client ON exposures(client_key, last);
   CREATE INDEX exposures_customer ON exposures(customer, last);
   CREATE INDEX exposures_domain ON exposures(rdomain, last);
   CREATE TABLE fanouts (
     id INTEGER PRIMARY KEY,
     host TEXT NOT NULL,
     host_key BLOB,
     customer TEXT,
     last REAL NOT NULL,
     body TEXT NOT NULL
   );
   CREATE INDEX fanouts_last ON fanouts(last);
   CREATE INDEX fanouts_host ON fanouts(host_key, last);
   CREATE INDEX fanouts_customer ON fanouts(customer, last);`,
];
