// Which exit code a pipeline run ends with. The target's failure wins (nothing it did not commit
// can be trusted), then the tap's code (5 = partial stays 5), then the models step.
import { EXIT_CODES } from '../core/errors.js';

export interface ChildOutcome {
  /** Exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child's outcome as one of our exit codes; a signal death is "unexpected" unless we asked for it. */
export function childExitCode(o: ChildOutcome, { stoppedByUs = false } = {}): number {
  if (o.code !== null) return o.code;
  return stoppedByUs ? EXIT_CODES.retryLater : EXIT_CODES.unexpected;
}

export function combineExitCodes(p: { tap: number; target: number; models?: number | undefined }): number {
  if (p.target !== EXIT_CODES.ok) return p.target;
  if (p.tap !== EXIT_CODES.ok) return p.tap;
  if (p.models !== undefined && p.models !== EXIT_CODES.ok) return p.models;
  return EXIT_CODES.ok;
}
