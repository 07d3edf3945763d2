// Circuit breaker over every Graph attempt (cockatiel's ConsecutiveBreaker): after N consecutive
// service failures (transient errors, throttles) ALL work pauses for pause_seconds, then one trial call
// goes through (half-open); success closes it, failure re-opens it. Waiting, not failing, is the point:
// each call still has its own retry budget, so a dead API ends the run through max_retries. Each item of
// a Batch API answer counts as the plain call it stands for (record).
import { BrokenCircuitError, CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import type { Logger } from '../core/log.js';

export interface BreakerOptions {
  failures: number;
  pauseMs: number;
  log: Logger;
  /** Which thrown errors count as a failure of the service (others pass through and do not count). */
  isFailure: (err: unknown) => boolean;
  /** Short reason of an error for the "opened" log line. */
  describe: (err: unknown) => string;
}

export class GraphBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private openedAt = 0;
  private opens = 0;
  private lastReason = '';

  constructor(private readonly opts: BreakerOptions) {
    this.policy = circuitBreaker(handleWhen(opts.isFailure), {
      halfOpenAfter: opts.pauseMs,
      breaker: new ConsecutiveBreaker(opts.failures),
    });
    // cockatiel measures the open period with Date.now(), so our wait uses the same clock.
    this.policy.onBreak((reason) => {
      this.openedAt = Date.now();
      this.opens += 1;
      this.lastReason = 'error' in reason ? opts.describe(reason.error) : 'isolated';
      opts.log.warn(`circuit breaker opened after ${opts.failures} consecutive failures: pausing all Graph calls for ${opts.pauseMs / 1000}s`, {
        reason: this.lastReason,
        pause_seconds: opts.pauseMs / 1000,
        breaker_opens: this.opens,
      });
    });
    this.policy.onHalfOpen(() => opts.log.info('circuit breaker half-open: sending one trial call', { reason: this.lastReason }));
    this.policy.onReset(() => opts.log.info('circuit breaker closed: Graph calls resume', {}));
  }

  /** How many times the breaker opened in this run (sync_log/metrics). */
  get openCount(): number {
    return this.opens;
  }

  get state(): 'closed' | 'open' | 'half-open' {
    const s = this.policy.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  /**
   * Counts an outcome that had no HTTP attempt of its own (one item of a Batch API answer) as the plain
   * attempt it stands for would count: `failure` judged by isFailure like a thrown error, undefined a
   * success. While the breaker is open nothing is counted (as no plain attempt would be made).
   */
  record(failure?: unknown): void {
    this.policy.execute(() => (failure === undefined ? Promise.resolve() : Promise.reject(failure as Error))).catch(() => undefined);
  }

  /** Runs one attempt through the breaker, waiting while it is open instead of failing. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (;;) {
      try {
        return await this.policy.execute(fn, signal);
      } catch (err) {
        if (!(err instanceof BrokenCircuitError)) throw err;
        const remaining = Math.max(1, this.openedAt + this.opts.pauseMs - Date.now());
        await realSleep(remaining, signal);
      }
    }
  }
}

/** A timer sleep that an abort signal cancels (cockatiel's own clock is real time, see above). */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
