// Registers the `fb-ads-elt` subcommands implemented in connector/models.
import type { Command } from 'commander';
import { notYetAvailable } from '../cli/run.js';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('models build (not yet available)')
    .allowUnknownOption()
    .action(() => notYetAvailable('fb-ads-elt models'));
}
