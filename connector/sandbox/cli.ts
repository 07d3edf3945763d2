// Registers the `fb-ads-elt` subcommands implemented in connector/sandbox.
import type { Command } from 'commander';
import { notYetAvailable } from '../cli/run.js';

export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description('sandbox [--port --seed --world] (not yet available)')
    .allowUnknownOption()
    .action(() => notYetAvailable('fb-ads-elt sandbox'));
}
