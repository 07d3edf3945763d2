// Typed errors every part of the connector throws: each carries its kind, a hint telling the user
// what to do next, and the process exit code the CLIs use (the contract in README "Exit codes").

export type ErrorKind = 'config' | 'auth' | 'permission' | 'throttled' | 'transient' | 'data' | 'unexpected';

/** Process exit codes (design.md §3). Orchestrators branch on these, so they never change meaning. */
export const EXIT_CODES = {
  ok: 0,
  unexpected: 1,
  config: 2,
  auth: 3,
  permission: 4,
  partial: 5,
  data: 6,
  /** Throttling or transient failures that outlived every retry: safe to re-run later. */
  retryLater: 7,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

const EXIT_BY_KIND: Record<ErrorKind, ExitCode> = {
  config: EXIT_CODES.config,
  auth: EXIT_CODES.auth,
  permission: EXIT_CODES.permission,
  throttled: EXIT_CODES.retryLater,
  transient: EXIT_CODES.retryLater,
  data: EXIT_CODES.data,
  unexpected: EXIT_CODES.unexpected,
};

export interface ErrorDetails {
  /** What the user should do next; shown under the message. */
  hint?: string;
  /** Machine-readable context (stream, account, line, Graph code…). Never secrets. */
  context?: Record<string, unknown>;
  cause?: unknown;
}

export class ConnectorError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly context: Record<string, unknown>;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = `${kind[0]!.toUpperCase()}${kind.slice(1)}Error`;
    this.kind = kind;
    this.hint = details.hint;
    this.context = details.context ?? {};
  }

  get exitCode(): ExitCode {
    return EXIT_BY_KIND[this.kind];
  }
}

export class ConfigError extends ConnectorError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('config', message, details);
  }
}
export class AuthError extends ConnectorError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('auth', message, details);
  }
}
export class PermissionError extends ConnectorError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('permission', message, details);
  }
}
export class ThrottledError extends ConnectorError {
  /** Seconds Meta asked us to wait before the budget is regained, when it said so. */
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, details: ErrorDetails & { retryAfterSeconds?: number } = {}) {
    super('throttled', message, details);
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}
export class TransientError extends ConnectorError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('transient', message, details);
  }
}
export class DataError extends ConnectorError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('data', message, details);
  }
}

/** Wraps anything thrown into a ConnectorError so CLIs and logs handle one shape. */
export function asConnectorError(err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectorError('unexpected', message, {
    hint: 'This is a bug or an unforeseen condition; re-run with the log attached to an issue.',
    cause: err,
  });
}

export function exitCodeFor(err: unknown): ExitCode {
  return asConnectorError(err).exitCode;
}
