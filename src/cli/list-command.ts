/**
 * `fluxhound allow|deny add|remove|list`: the operator's lists in the store,
 * or with a cluster (--cluster, cluster.url) the fleet's lists in the
 * cluster. A running daemon on the same store, or every `serve --cluster`
 * node, picks a change up within a second (src/serve/lists/). Every change
 * is checked by the rule the daemon uses (src/serve/lists/entry.ts) and
 * written with its audit line (in one transaction in SQLite; two inserts in
 * the cluster, which has none).
 */
import { Command } from 'commander';
import type { ListChange, ListEntry, ListName } from '../model/query-log.js';
import { isoTime } from '../model/verdict.js';
import { escapeName } from '../dns/name-text.js';
import { checkChange } from '../serve/lists/entry.js';
import { UsageError } from './errors.js';
import { exampleConfigPath } from './example-config.js';
import { loadConfig } from '../config/load.js';
import { printable } from './store-path.js';
import { openStoreOrCluster, type StoreOrClusterFlags } from './store-or-cluster.js';

interface ChangeFlags extends StoreOrClusterFlags {
  comment?: string;
  by?: string;
}

const WHAT: Record<ListName, string> = {
  allow: 'names never blocked, with every name under them',
  deny: 'names always blocked, with every name under them',
};

function storeOptions(command: Command): Command {
  return command
    .option('--store <path>', 'the store file (default: serve.store.path of the config, fluxhound.db)')
    .option('--cluster <url>', "the fleet's lists in a ClickHouse cluster node (default: cluster.url of the config, unless --store is given)")
    .option('-c, --config <file>', `config whose serve.store.path names the store (or cluster.url the cluster); see ${exampleConfigPath()}`);
}

export function listCommand(list: ListName): Command {
  const command = new Command(list).description(`The operator's ${list} list (${WHAT[list]}); a running daemon on the same store applies a change within a second`);
  for (const op of ['add', 'remove'] as const) {
    command.addCommand(
      storeOptions(
        new Command(op)
          .description(op === 'add' ? `put NAME on the ${list} list (a second add replaces the comment)` : `take NAME off the ${list} list`)
          .argument('<name>', 'a domain name; the entry covers it and every name under it')
          .option('--comment <text>', 'why (required; kept in the audit trail)')
          .option('--by <name>', 'who makes the change (default: $USER, else cli)'),
      ).action((name: string, flags: ChangeFlags) => change(list, op, name, flags)),
    );
  }
  command.addCommand(
    storeOptions(new Command('list').description(`print the ${list} list`).option('--json', 'one JSON entry per line')).action((flags: StoreOrClusterFlags & { json?: boolean }) =>
      print(list, flags),
    ),
  );
  return command;
}

async function change(list: ListName, op: 'add' | 'remove', name: string, flags: ChangeFlags): Promise<void> {
  if (flags.comment === undefined || flags.comment.trim() === '') throw new UsageError(`${list} ${op}: --comment TEXT is required (why the change is made)`);
  const requested: ListChange = { op, list, name, comment: flags.comment, by: flags.by ?? (process.env.USER || 'cli'), at: Date.now() / 1000 };
  // Checked before the store is opened: a bad name is a usage error even without a store.
  const checked = checkChange(requested);
  const store = await openStoreOrCluster(`${list} ${op}`, flags, loadConfig(flags.config, {}));
  try {
    if (!(await store.changeList(checked))) {
      process.stderr.write(`fluxhound: ${list} remove: ${escapeName(checked.name)} is not on the ${list} list\n`);
      process.exitCode = 1;
      return;
    }
  } finally {
    await store.close();
  }
  process.stdout.write(`${list} ${op === 'add' ? 'added' : 'removed'}: ${escapeName(checked.name)} (by ${printable(checked.by)} at ${isoTime(checked.at)}): ${printable(checked.comment)}\n`);
}

async function print(list: ListName, flags: StoreOrClusterFlags & { json?: boolean }): Promise<void> {
  const store = await openStoreOrCluster(`${list} list`, flags, loadConfig(flags.config, {}));
  let entries: ListEntry[];
  try {
    entries = await store.listEntries(list);
  } finally {
    await store.close();
  }
  for (const e of entries) {
    process.stdout.write(flags.json === true ? `${JSON.stringify(e)}\n` : `${escapeName(e.name)}\t${printable(e.by)}\t${isoTime(e.at)}\t${printable(e.comment)}\n`);
  }
}
