/**
 * A ClickHouse cluster for tests: N shards of Debian's clickhouse-server,
 * each a process on 127.0.0.1 with its own config, data directory and ports,
 * all named in one `remote_servers` cluster so that Distributed tables span
 * them. Shards can be stopped and started again mid-test (same ports, same
 * data). Under CI=true a missing clickhouse-server fails (binaries.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get } from 'node:http';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { freePort } from './daemon.js';

export const clickhouseServer = findBinary('clickhouse-server', 'clickhouse-server');

export interface ClickHouseShard {
  /** http://127.0.0.1:PORT of the shard's HTTP interface. */
  url: string;
  httpPort: number;
  tcpPort: number;
  dir: string;
  running: boolean;
}

export interface ClickHouseCluster {
  /** The remote_servers cluster name every shard's config carries. */
  name: string;
  shards: ClickHouseShard[];
  /** Stops shard i (SIGTERM, then SIGKILL after 2 s, see stop()); its data stays. */
  stop(i: number): Promise<void>;
  /** Starts shard i again on the same ports and data; resolves when it answers. */
  start(i: number): Promise<void>;
  /** Kills every shard (SIGKILL: their data is removed, so a graceful shutdown would only cost time) and removes their directories. */
  close(): Promise<void>;
}

export interface ClusterOptions {
  shards?: number;
  /** remote_servers name. Default 'fluxhound'. */
  name?: string;
}

export async function startClickHouseCluster(options: ClusterOptions = {}): Promise<ClickHouseCluster> {
  const binary = clickhouseServer.path;
  if (binary === null) throw new Error(clickhouseServer.missing ?? 'clickhouse-server not found');
  const count = options.shards ?? 2;
  const name = options.name ?? 'fluxhound';
  const root = mkdtempSync(join(tmpdir(), 'fluxhound-ch-'));
  const shards: ClickHouseShard[] = [];
  for (let i = 0; i < count; i++) {
    const httpPort = await freePort();
    const tcpPort = await freePort();
    shards.push({ url: `http://127.0.0.1:${httpPort}`, httpPort, tcpPort, dir: join(root, `shard${i + 1}`), running: false });
  }
  const remote = shards.map((s) => `<shard><replica><host>127.0.0.1</host><port>${s.tcpPort}</port></replica></shard>`).join('');
  for (const s of shards) writeShardConfig(s, name, remote);
  const processes: Array<ChildProcess | null> = shards.map(() => null);

  async function start(i: number): Promise<void> {
    const shard = shards[i]!;
    const child = spawn(binary!, [`--config-file=${join(shard.dir, 'config.xml')}`], { cwd: shard.dir, stdio: 'ignore' });
    processes[i] = child;
    await waitUntilAnswering(shard, child);
    shard.running = true;
  }
  async function stop(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = processes[i];
    processes[i] = null;
    shards[i]!.running = false;
    if (child === null || child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    // 18.16 closes its listeners and gives queries in flight shutdown_wait_unfinished (1 s), then joins every
    // connection's thread: one idle in the other shard's Distributed pool keeps it until its receive timeout
    // (300 s). Whatever it has committed is on disk by then, so 2 s after SIGTERM it is killed.
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
  try {
    await Promise.all(shards.map((_, i) => start(i)));
  } catch (error) {
    await Promise.all(shards.map((_, i) => stop(i, 'SIGKILL')));
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    name,
    shards,
    stop: (i) => stop(i),
    start,
    async close() {
      await Promise.all(shards.map((_, i) => stop(i, 'SIGKILL')));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function writeShardConfig(shard: ClickHouseShard, cluster: string, remote: string): void {
  const d = shard.dir;
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(d, sub), { recursive: true });
  writeFileSync(
    join(d, 'config.xml'),
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${d}/server.log</log><errorlog>${d}/error.log</errorlog><console>0</console></logger>
  <http_port>${shard.httpPort}</http_port>
  <tcp_port>${shard.tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${d}/data/</path>
  <tmp_path>${d}/tmp/</tmp_path>
  <user_files_path>${d}/user_files/</user_files_path>
  <format_schema_path>${d}/format_schemas/</format_schema_path>
  <users_config>${d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
  <uncompressed_cache_size>8388608</uncompressed_cache_size>
  <max_concurrent_queries>64</max_concurrent_queries>
  <!-- A stopped shard stands for one that went away: wait 1 s, not 5, for connections still open (the other
       shard's Distributed pool, a client's keep-alive socket) before closing them. -->
  <shutdown_wait_unfinished>1</shutdown_wait_unfinished>
  <remote_servers><${cluster}>${remote}</${cluster}></remote_servers>
</yandex>
`,
  );
  writeFileSync(
    join(d, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`,
  );
}

/** True when GET /ping answers 200 on a connection closed after it. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/ping', agent: false, headers: { connection: 'close' }, timeout: 2000 }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode === 200));
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(false)); // not listening yet
  });
}

async function waitUntilAnswering(shard: ClickHouseShard, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`clickhouse-server (${shard.dir}) exited with ${child.exitCode}; see ${shard.dir}/error.log`);
    // One connection per ping, closed after it: an idle keep-alive socket (fetch's pool) would hold a
    // stopping shard in its shutdown wait.
    if (await pings(shard.httpPort)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`clickhouse-server (${shard.dir}) did not answer on ${shard.url} within 60 s`);
}
