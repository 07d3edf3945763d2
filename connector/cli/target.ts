// Entry point of `target-bigquery` (Singer target). Argument parsing only; the work lives in connector/target.
import { surfaceOf } from '../core/surface.js';
import { createReadStream, fstatSync, openSync } from 'node:fs';
import { Command } from 'commander';
import { runCli } from './run.js';
import { ConfigError, ConnectorError, EXIT_CODES } from '../core/errors.js';
import { addAboutFlags, collectConfig, parseOutcome, printAboutIfAsked } from './about.js';
import { runClock } from '../core/clock.js';

const program = new Command('target-bigquery')
  .description('Singer target loading into BigQuery (or embedded DuckDB) with load jobs and MERGE')
  .option('-c, --config <file>', 'target config JSON (see schemas/target-config.json), or ENV for TARGET_BIGQUERY_<SETTING> variables; repeatable, later wins; required unless --help/--version/--about', collectConfig, [])
  .option('-i, --input <file>', 'read the Singer messages from this file instead of stdin')
  .exitOverride();
addAboutFlags(program, 'target-bigquery');

await runCli('target-bigquery', async (ctx) => {
  try {
    program.parse(process.argv);
  } catch (err) {
    parseOutcome(err, 'target-bigquery');
    return EXIT_CODES.ok; // --help or --version was printed
  }
  if (printAboutIfAsked(program, 'target-bigquery')) return EXIT_CODES.ok;
  const { config: configFile, input } = program.opts<{ config: string[]; input?: string }>();
  if (configFile.length === 0) throw new ConfigError("required option '-c, --config <file>' not specified", { hint: 'Run `target-bigquery --help` for usage.' });
  // The target's machinery loads after argument parsing: --help, --version and --about answer without it (start-up time, issue 20).
  const [{ loadTargetConfig }, { createDestination }, { Loader }, { SingerWriter }, { COMMITTED_TAG, STALE_TAG }, { stringifyExact }, { startMemoryTrace }, { stoppableInput }] = await Promise.all([
    import('../target/config.js'),
    import('../target/factory.js'),
    import('../target/loader.js'),
    import('../singer/writer.js'),
    import('../singer/record-counts.js'),
    import('../singer/exact-json.js'),
    import('../target/memory-trace.js'),
    import('../target/stop-input.js'),
  ]);
  const { config, redactor } = loadTargetConfig(configFile);
  ctx.setRedactor(redactor);
  // Opened before the warehouse: a mistyped --input is a usage error (exit 2) that touches nothing.
  const source = input === undefined ? process.stdin : createReadStream('', { fd: openInput(input) });
  const destination = await createDestination(config, ctx.log);
  // STATE is echoed digit for digit: a bookmark beyond 2^53 comes back as it was sent.
  const out = new SingerWriter(process.stdout, (m) => stringifyExact(m));
  await destination.open();
  const stopTrace = startMemoryTrace(async () => (await destination.memoryStats?.()) ?? {});
  // Ctrl-C or SIGTERM ends the input at its last complete line: what came before it is committed.
  const stop = stoppableInput(source, ctx.log);
  try {
    const loader = new Loader({
      config,
      destination,
      log: ctx.log,
      now: runClock(),
      // A Singer target writes the state VALUE on stdout, one JSON object a line (singer-io's
      // spec, singer-python's emit_state, the Meltano SDK), never the STATE message around it:
      // Meltano stores each line as the state it hands the next run's tap.
      emitState: (value) => out.writeJson(value),
      readTail: stop.readTail,
      surface: surfaceOf(),
    });
    const { committed, stale, ...summary } = await loader.run(stop.input);
    await out.flush();
    // What reached the warehouse (and what was dropped as stale), per stream and account:
    // `fb-ads-elt sync` checks the two together against the tap's counts.
    committed.report(ctx.log, { status: COMMITTED_TAG });
    stale.report(ctx.log, { status: STALE_TAG });
    const staleRecords = stale.entries().reduce((n, e) => n + e.count, 0);
    ctx.log.info('load finished', { destination: config.destination, dataset: config.dataset, ...summary, stale_records: staleRecords });
    const signal = stop.stoppedBy();
    if (signal) {
      throw new ConnectorError('transient', `stopped by ${signal} before the input ended: the ${summary.lines} lines read up to it were committed and the last state echoed covers them`, {
        hint: 'Re-run the tap from the last state this target echoed (it resumes there); nothing was half-written.',
        context: { signal, lines: summary.lines },
      });
    }
  } finally {
    stop.dispose();
    await stopTrace();
    await destination.close();
  }
});

/** The file descriptor of `--input` (the Meltano SDK's option), or a config error naming it. */
function openInput(file: string): number {
  try {
    const fd = openSync(file, 'r');
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
    return fd;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`--input ${file} cannot be read (${code})`, { hint: 'Pass the path of a file of Singer messages, or leave --input out to read stdin.', context: { input: file } });
  }
}
