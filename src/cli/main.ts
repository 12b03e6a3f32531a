#!/usr/bin/env node
/**
 * fluxhound command line. One file per command; this one only wires them up
 * and turns usage errors into one line and exit code 2.
 */
import { Command, CommanderError } from 'commander';
import { allowCommand } from './allow.js';
import { analyzeCommand } from './analyze.js';
import { clusterCommand } from './cluster.js';
import { denyCommand } from './deny.js';
import { evalCommand } from './eval.js';
import { reportCommand } from './report.js';
import { serveCommand } from './serve.js';
import { showCommand } from './show.js';
import { exitWith } from './errors.js';

const program = new Command('fluxhound')
  .description('Detect fast-flux domains in DNS logs, captures and resolver telemetry')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({
    writeErr: (s) => process.stderr.write(s),
    // One line, in the same voice as every other fluxhound error.
    outputError: (s, write) => write(`fluxhound: ${s.replace(/^error: /, '').trimEnd()} (see fluxhound --help)\n`),
  });

// addCommand does not pass on exitOverride and the output settings; copy them.
for (const command of [analyzeCommand(), evalCommand(), serveCommand(), allowCommand(), denyCommand(), showCommand(), reportCommand(), clusterCommand()]) program.addCommand(inherit(command, program));

/** The program's settings on a command and its subcommands (allow add, deny list). */
function inherit(command: Command, parent: Command): Command {
  command.copyInheritedSettings(parent);
  for (const sub of command.commands) inherit(sub, command);
  return command;
}

// A closed pipe (fluxhound ... | head) ends the run quietly; other write errors are one line.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`fluxhound: cannot write to stdout: ${err.code ?? err.message}\n`);
  process.exit(1);
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; commander has already printed the message.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  exitWith(err);
}

