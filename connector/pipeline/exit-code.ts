// Which exit code a pipeline run ends with. The target's failure wins (nothing it did not commit
// can be trusted), then the tap's code (5 = partial stays 5), then the models step.
import { EXIT_CODES } from '../core/errors.js';

export interface ChildOutcome {
  /** Exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Signals that stop a process from outside (an operator's kill -9, the OOM killer, a scheduler's
 * timeout, a closed terminal): the child did not fail, it was stopped, and a re-run continues from
 * the saved state, so the run ends with "retry later". A crash signal (SIGSEGV, SIGABRT…) stays a bug.
 */
const STOPPED_FROM_OUTSIDE: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']);

/** True when a child ended by a signal that stopped it from outside (see STOPPED_FROM_OUTSIDE). */
export const killedFromOutside = (o: ChildOutcome): boolean => o.code === null && o.signal !== null && STOPPED_FROM_OUTSIDE.has(o.signal);

/** A child's outcome as one of our exit codes; a crash signal is "unexpected" unless we asked for it. */
export function childExitCode(o: ChildOutcome, { stoppedByUs = false } = {}): number {
  if (o.code !== null) return o.code;
  return stoppedByUs || killedFromOutside(o) ? EXIT_CODES.retryLater : EXIT_CODES.unexpected;
}

export function combineExitCodes(p: { tap: number; target: number; models?: number | undefined }): number {
  if (p.target !== EXIT_CODES.ok) return p.target;
  if (p.tap !== EXIT_CODES.ok) return p.tap;
  if (p.models !== undefined && p.models !== EXIT_CODES.ok) return p.models;
  return EXIT_CODES.ok;
}
