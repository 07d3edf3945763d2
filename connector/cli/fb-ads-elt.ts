// Entry point of `fb-ads-elt`: one binary for the pipeline (sync, serve, demo), the Graph sandbox
// and the models runner. Each subcommand registers itself from the module that implements it.
import { Command } from 'commander';
import { runCli } from './run.js';
import { ConnectorError } from '../core/errors.js';
import { registerSandbox } from '../sandbox/cli.js';
import { registerModels } from '../models/cli.js';
import { registerPipeline } from '../pipeline/cli.js';

const program = new Command('fb-ads-elt').description('Meta Ads -> BigQuery ELT: sync, serve, demo, sandbox, models').exitOverride();
registerPipeline(program);
registerSandbox(program);
registerModels(program);

await runCli('fb-ads-elt', async () => {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof ConnectorError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      throw new ConnectorError('config', (err as Error).message.replace(/^error: /, ''), { hint: 'Run `fb-ads-elt --help` for usage.' });
    }
    throw err;
  }
});
