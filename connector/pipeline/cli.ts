// Registers the `fb-ads-elt` subcommands implemented in connector/pipeline (sync, serve, demo).
import type { Command } from 'commander';
import { notYetAvailable } from '../cli/run.js';

export function registerPipeline(program: Command): void {
  for (const name of ['sync', 'serve', 'demo']) {
    program
      .command(name)
      .description(`${name} (not yet available)`)
      .allowUnknownOption()
      .action(() => notYetAvailable(`fb-ads-elt ${name}`));
  }
}
