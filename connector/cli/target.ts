// Entry point of `target-bigquery` (Singer target). Argument parsing only; the work lives in connector/target.
import { Command } from 'commander';
import { runCli } from './run.js';
import { loadTargetConfig } from '../target/config.js';
import { ConnectorError } from '../core/errors.js';
import { createDestination } from '../target/factory.js';
import { Loader } from '../target/loader.js';
import { SingerWriter } from '../singer/writer.js';
import { stateMessage } from '../singer/messages.js';
import { runClock } from '../core/clock.js';

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
  const { config, redactor } = loadTargetConfig(program.opts<{ config: string }>().config);
  ctx.setRedactor(redactor);
  const destination = await createDestination(config);
  const out = new SingerWriter(process.stdout);
  await destination.open();
  try {
    const loader = new Loader({
      config,
      destination,
      log: ctx.log,
      now: runClock(),
      emitState: async (value) => {
        await out.write(stateMessage(value));
      },
    });
    const summary = await loader.run(process.stdin);
    await out.flush();
    ctx.log.info('load finished', { destination: config.destination, dataset: config.dataset, ...summary });
  } finally {
    await destination.close();
  }
});
