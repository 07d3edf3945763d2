// Shared CLI plumbing: run a main function, turn any failure into one actionable JSON line on
// stderr (redacted) and the documented exit code. stdout is never touched here.
import { Logger } from '../core/log.js';
import { asConnectorError, ConnectorError, EXIT_CODES, type ExitCode } from '../core/errors.js';
import type { Redactor } from '../core/secrets.js';

export interface CliContext {
  log: Logger;
  /** Lets main swap in the redactor that knows the config's secrets once it is loaded. */
  setRedactor(r: Redactor): void;
}

export async function runCli(component: string, main: (ctx: CliContext) => Promise<ExitCode | void>): Promise<never> {
  let log = new Logger({ component });
  const ctx: CliContext = {
    get log() {
      return log;
    },
    setRedactor(r) {
      log = new Logger({ component, redactor: r });
    },
  };
  let code: ExitCode;
  try {
    code = (await main(ctx)) ?? EXIT_CODES.ok;
  } catch (err) {
    const e = asConnectorError(err);
    log.error(e.message, { error_kind: e.kind, hint: e.hint, exit_code: e.exitCode, ...e.context });
    if (e.kind === 'unexpected' && process.env['DEBUG'] && err instanceof Error) log.debug(err.stack ?? '', {});
    code = e.exitCode;
  }
  // Let stdout drain before exiting so no Singer line is cut in half.
  await new Promise<void>((resolve) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', () => resolve()) : resolve()));
  process.exit(code);
}

/** For subcommands whose issue has not landed yet: a clear refusal, never a fake result. */
export function notYetAvailable(what: string): never {
  throw new ConnectorError('unexpected', `${what} is not yet available in this build`, { hint: 'See the open issues in README "Status".' });
}
