/** `fluxhound allow add|remove|list`: names never blocked (src/cli/list-command.ts). */
import type { Command } from 'commander';
import { listCommand } from './list-command.js';

export function allowCommand(): Command {
  return listCommand('allow');
}
