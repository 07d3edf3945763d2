// Entry point of `tap-facebook-ads` (Singer tap). Argument parsing only; the work lives in connector/tap.
import { Command } from 'commander';
import { runCli } from './run.js';
import { loadTapConfig } from '../tap/config.js';
import { ConnectorError } from '../core/errors.js';

const program = new Command('tap-facebook-ads')
  .description('Singer tap for the Meta (Facebook) Marketing API')
  .requiredOption('-c, --config <file>', 'tap config JSON (see spec.json)')
  .option('-d, --discover', 'print the catalog and exit')
  .option('--catalog <file>', 'Singer catalog selecting streams and fields')
  .option('-p, --properties <file>', 'legacy alias of --catalog')
  .option('-s, --state <file>', 'state from the previous run')
  .option('--account <id>', 'sync only this ad account (shortcut for account_ids)')
  .option('--days <n>', 'sync only the last N days (shortcut for start_date)')
  .exitOverride();

await runCli('tap-facebook-ads', async (ctx) => {
  try {
    program.parse(process.argv);
  } catch (err) {
    throw new ConnectorError('config', (err as Error).message.replace(/^error: /, ''), { hint: 'Run `tap-facebook-ads --help` for usage.' });
  }
  const opts = program.opts<{ config: string }>();
  const { redactor } = loadTapConfig(opts.config);
  ctx.setRedactor(redactor);
  throw new ConnectorError('unexpected', 'syncing is not yet available in this build', { hint: 'Tracked by the tap issues; only config validation works so far.' });
});
