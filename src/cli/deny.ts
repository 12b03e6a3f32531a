/** `fluxhound deny add|remove|list`: names always blocked (src/cli/list-command.ts). */
import type { Command } from 'commander';
import { listCommand } from './list-command.js';

export function denyCommand(): Command {
  return listCommand('deny');
}
