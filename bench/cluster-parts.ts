/**
 * The cluster benches (issue 18), written beside this one and merged later:
 * bench/cluster-ingest.ts exports `benchClusterIngest(log)` (observations per
 * second one sensor writes into ClickHouse) and bench/cluster-judge.ts
 * `benchClusterJudge(log)` (the judge's cycle at 10M observations, detection
 * latency from one sensor to another). Each resolves to its printed lines
 * and its failures. They are loaded when the build has them, so `npm run
 * bench` runs them with no further edit; `--skip cluster-ingest,cluster-judge`
 * leaves them out.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type ClusterPartName = 'cluster-ingest' | 'cluster-judge';

export interface ClusterPart {
  part: ClusterPartName;
  lines: string[];
  failures: string[];
}

type ClusterBench = (log: (line: string) => void) => Promise<{ lines: string[]; failures: string[] }>;

const EXPORTS: Record<ClusterPartName, string> = {
  'cluster-ingest': 'benchClusterIngest',
  'cluster-judge': 'benchClusterJudge',
};

/**
 * One part's figures; null when its module is not in this build. A module
 * without its function, or one that throws, is a failure of that part (the
 * run goes on).
 */
export async function clusterFigures(
  part: ClusterPartName,
  log: (line: string) => void,
  url: URL = new URL(`./${part}.js`, import.meta.url),
): Promise<ClusterPart | null> {
  if (!existsSync(fileURLToPath(url))) return null;
  const name = EXPORTS[part];
  try {
    const module = (await import(url.href)) as Record<string, unknown>;
    const bench = module[name];
    if (typeof bench !== 'function') throw new Error(`${part}.js has no ${name}()`);
    const { lines, failures } = await (bench as ClusterBench)(log);
    return { part, lines: [...lines], failures: [...failures] };
  } catch (error) {
    return { part, lines: [], failures: [(error as Error).message] };
  }
}
