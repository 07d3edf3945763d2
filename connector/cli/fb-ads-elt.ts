// Entry point of `fb-ads-elt`: one binary for the pipeline (sync, serve, demo), the Graph sandbox
// and the dbt project (run by real dbt). Each subcommand registers itself from the module that implements it.
import { Command } from 'commander';
import { runCli } from './run.js';
import { addAboutFlags, parseOutcome, printAboutIfAsked } from './about.js';
import { registerSandbox } from '../sandbox/cli.js';
import { registerModels } from '../dbt/cli.js';
import { registerPipeline } from '../pipeline/cli.js';

const program = new Command('fb-ads-elt').description('Meta Ads -> BigQuery ELT: sync, serve, demo, sandbox, models').exitOverride();
addAboutFlags(program, 'fb-ads-elt');
registerPipeline(program);
registerSandbox(program);
registerModels(program);

await runCli('fb-ads-elt', async () => {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // Without a subcommand commander shows the help; options are parsed by then, so --about is known.
    if (code === 'commander.help' && printAboutIfAsked(program, 'fb-ads-elt')) return;
    if (code === 'commander.help') return void program.outputHelp(); // bare `fb-ads-elt`: the help is the answer
    if (typeof code === 'string' && code.startsWith('commander.')) return void parseOutcome(err, 'fb-ads-elt');
    throw err;
  }
});
