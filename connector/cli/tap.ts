// Entry point of `tap-facebook-ads` (Singer tap). Argument parsing and wiring only; the work lives in connector/tap.
import { paramOf, surfaceOf, tapSettingsSourceOf } from '../core/surface.js';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { runCli } from './run.js';
import { ConfigError, EXIT_CODES } from '../core/errors.js';
import { runClock } from '../core/clock.js';
import { parseDays } from '../core/days.js';
import { addAboutFlags, collectConfig, parseOutcome, printAboutIfAsked } from './about.js';

const program = new Command('tap-facebook-ads')
  .description('Singer tap for the Meta (Facebook) Marketing API')
  .option('-c, --config <file>', 'tap config JSON (see spec.json), or ENV for TAP_FACEBOOK_ADS_<SETTING> variables; repeatable, later wins; required unless --help/--version/--about/--discover', collectConfig, [])
  .option('-d, --discover', 'print the catalog and exit')
  .option('--catalog <file>', 'Singer catalog selecting streams and fields')
  .option('-p, --properties <file>', 'legacy alias of --catalog')
  .option('-s, --state <file>', 'state from the previous run')
  .option('--account <id>', 'sync only this ad account (shortcut for account_ids)')
  .option('--days <n>', 'read insights for the last N days only (today included, in each account’s time zone)')
  .exitOverride();
addAboutFlags(program, 'tap-facebook-ads');

interface Opts {
  config: string[];
  discover?: boolean;
  catalog?: string;
  properties?: string;
  state?: string;
  account?: string;
  days?: string;
}

await runCli('tap-facebook-ads', async (ctx) => {
  try {
    program.parse(process.argv);
  } catch (err) {
    parseOutcome(err, 'tap-facebook-ads');
    return EXIT_CODES.ok; // --help or --version was printed
  }
  if (printAboutIfAsked(program, 'tap-facebook-ads')) return EXIT_CODES.ok;
  const opts = program.opts<Opts>();
  // Discovery reads only insights_reports from a config, so, like a Meltano SDK tap, it runs without one.
  if (opts.config.length === 0 && !opts.discover) throw new ConfigError("required option '-c, --config <file>' not specified", { hint: 'Run `tap-facebook-ads --help` for usage.' });
  const clock = runClock();
  // The tap's machinery (ajv, axios, the streams) loads after argument parsing: --help, --version and
  // --about answer without it (start-up time, issue 20).
  const [
    { bareAccountId, loadDiscoveryConfig, loadTapConfig, tapSettingsFor },
    { readJsonFile },
    { bookmarkKeys, discover },
    { selectStreams, runSync },
    { emptyState, parseState },
    { SingerWriter },
    { GraphClient },
    { checkTokens },
    { parseJsonExact, stringifyExact },
    { checkReportKeys },
    { reportsFor },
  ] = await Promise.all([
    import('../tap/config.js'),
    import('../core/config.js'),
    import('../tap/discover.js'),
    import('../tap/sync.js'),
    import('../singer/state.js'),
    import('../singer/writer.js'),
    import('../graph/client.js'),
    import('../graph/tokens.js'),
    import('../singer/exact-json.js'),
    import('../tap/read-insights.js'),
    import('../tap/insights.js'),
  ]);
  // Run by Meltano, hints name its settings and `meltano config … set`, not the config file Meltano writes.
  const settings = tapSettingsSourceOf();
  if (settings !== 'file') ctx.setHints((hint) => tapSettingsFor(hint, settings));
  // Before any output: its stdout error listener turns a reader that went away (`| head`) into a quiet end, not a crash.
  const out = new SingerWriter(process.stdout, (m) => ((m as { type?: unknown }).type === 'STATE' ? stringifyExact(m) : JSON.stringify(m)));
  if (opts.discover) {
    if (opts.config.length === 0) ctx.log.info('discovering without --config: the catalog has the default insights reports (pass --config for its insights_reports)');
    const config = opts.config.length ? loadDiscoveryConfig(opts.config, (message, hint) => ctx.log.warn(message, { hint })) : undefined;
    process.stdout.write(JSON.stringify(discover(config), null, 2) + '\n');
    return;
  }
  const { config, redactor } = loadTapConfig(opts.config);
  ctx.setRedactor(redactor);
  if (opts.account !== undefined) {
    if (!/^(act_)?\d{1,20}$/.test(opts.account)) throw new ConfigError(`--account "${opts.account}" is not an ad account id`, { hint: 'Pass the digits of the account (act_ prefix optional), e.g. --account 1234567890.' });
    config.account_ids = [bareAccountId(opts.account)];
  }
  const days = parseDays(opts.days);
  if (days !== undefined) config.last_days = days;
  const catalogFile = opts.catalog ?? opts.properties;
  const catalog = catalogFile ? readJsonFile(catalogFile, 'Catalog') : undefined;
  // Fail on a bad catalog before anything reaches stdout.
  selectStreams(config, catalog);
  // Read without rounding, written back exactly (STATE lines only: records take the fast path).
  const state = opts.state ? readState(opts.state) : emptyState();
  function readState(file: string): ReturnType<typeof emptyState> {
    // An empty file is a first run, as sync's state file (README "How state works"): the Singer recipe
    // `… | target-bigquery > states.jsonl`, then its last line as the next state, leaves one when a run
    // committed nothing (stopped early). Said once, naming it: a file emptied by accident would backfill.
    if (isBlankFile(file)) {
      ctx.log.warn(`empty state file ${file}: this run backfills from start_date`, { state_file: file });
      return emptyState();
    }
    try {
      // Warnings name no file: under `fb-ads-elt sync` this one is a scratch copy of the user's state file.
      const state = parseState(readJsonFile(file, 'State', parseJsonExact), bookmarkKeys(config), (message, fields) => ctx.log.warn(message, fields), clock());
      // A custom report whose key changed would add rows beside its table's old ones.
      checkReportKeys(state, reportsFor(config));
      return state;
    } catch (err) {
      // readJsonFile names the file already; parseState speaks of `state.…` only.
      if (!(err instanceof ConfigError) || err.message.startsWith('State file')) throw err;
      throw new ConfigError(`State file ${file}: ${err.message}`, { ...(err.hint ? { hint: err.hint } : {}), context: { ...err.context, state_file: file } });
    }
  }
  const log = ctx.log;
  const graph = new GraphClient({ config, log, clock });
  const summary = await runSync({
    config,
    graph,
    log,
    write: (m) => out.write(m),
    ...(catalog !== undefined ? { catalog } : {}),
    state,
    clock,
    checkTokens: (tokens) => checkTokens(graph, tokens, config, log, { clock }),
    ...(process.env['FB_ADS_ELT_RUN_ID'] ? { runId: process.env['FB_ADS_ELT_RUN_ID'] } : {}),
    ...(opts.account !== undefined ? { narrowedBy: paramOf('account', surfaceOf()) } : {}),
  });
  await out.flush();
  return summary.exitCode;
});

/** A file that exists and holds nothing but whitespace; anything else (missing, unreadable) is left to the JSON reader to name. */
function isBlankFile(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').trim() === '';
  } catch {
    return false;
  }
}
