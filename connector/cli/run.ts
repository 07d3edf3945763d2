// Shared CLI plumbing: run a main function, turn any failure into one actionable JSON line on
// stderr (redacted) and the documented exit code. stdout is never touched here.
import { Logger } from '../core/log.js';
import { asConnectorError, ConnectorError, EXIT_CODES, type ExitCode } from '../core/errors.js';
import type { Redactor } from '../core/secrets.js';
import { keepNewFilesPrivate } from '../core/private-files.js';

export interface CliContext {
  log: Logger;
  /** Lets main swap in the redactor that knows the config's secrets once it is loaded. */
  setRedactor(r: Redactor): void;
  /** Lets main word every later hint for its reader (LoggerOptions.hints), the final error line's too. */
  setHints(render: (hint: string) => string): void;
}

export async function runCli(component: string, main: (ctx: CliContext) => Promise<ExitCode | void>): Promise<never> {
  keepNewFilesPrivate();
  let log = new Logger({ component });
  let redactor: Redactor | undefined;
  let hints: ((hint: string) => string) | undefined;
  const rebuild = (): void => {
    log = new Logger({ component, ...(redactor ? { redactor } : {}), ...(hints ? { hints } : {}) });
  };
  const ctx: CliContext = {
    get log() {
      return log;
    },
    setRedactor(r) {
      redactor = r;
      rebuild();
    },
    setHints(render) {
      hints = render;
      rebuild();
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
  return exitAfterFlush(code);
}

/**
 * Resolves once everything written to the stream so far has been handed to the OS. A pipe or a
 * socket created by spawn() is asynchronous: writes below the high-water mark sit in a queue with
 * writableNeedDrain still false, and process.exit() drops them (issue 17: the tap's last records,
 * sync_log row and STATE vanished about one run in six). A zero-length write completes after every
 * write queued before it, so its callback is the flush point.
 */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stream.destroyed || stream.writableEnded || stream.writableLength === 0) return resolve();
    stream.write('', () => resolve());
  });
}

/** Exits with `code` only after stdout and stderr are flushed: no Singer line, metric or error is lost. */
export async function exitAfterFlush(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** For subcommands whose issue has not landed yet: a clear refusal, never a fake result. */
export function notYetAvailable(what: string): never {
  throw new ConnectorError('unexpected', `${what} is not yet available in this build`, { hint: 'See the open issues in README "Status".' });
}
