// Entry point of `target-bigquery` (Singer target). Argument parsing only; the work lives in connector/target.
import { Command } from 'commander';
import { runCli } from './run.js';
import { loadTargetConfig } from '../target/config.js';
import { ConnectorError } from '../core/errors.js';

const program = new Command('target-bigquery')
  .description('Singer target loading into BigQuery (or embedded DuckDB) with load jobs and MERGE')
  .requiredOption('-c, --config <file>', 'target config JSON (see schemas/target-config.json)')
  .exitOverride();

await runCli('target-bigquery', async (ctx) => {
  try {
    program.parse(process.argv);
  } catch (err) {
    throw new ConnectorError('config', (err as Error).message.replace(/^error: /, ''), { hint: 'Run `target-bigquery --help` for usage.' });
  }
  const { redactor } = loadTargetConfig(program.opts<{ config: string }>().config);
  ctx.setRedactor(redactor);
  throw new ConnectorError('unexpected', 'loading is not yet available in this build', { hint: 'Tracked by the target issue; only config validation works so far.' });
});
