// Runs jobs with a bounded number in flight (the limit is shared with every other account's jobs).
// A step drives one job to its end and hands back the jobs that follow from it (the pieces of a
// split); stop() starts nothing new and aborts waits in flight; the first error thrown by a step
// stops the rest and is rethrown once every step has ended, so no job outlives its run().
import type { LimitFunction } from 'p-limit';

export class JobScheduler<J> {
  private readonly abort = new AbortController();

  constructor(private readonly limit: LimitFunction) {}

  /** Aborted once the scheduler stops: jobs pass it to their polls and waits. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** No job starts after this; waits in flight end with the reason. */
  stop(reason: string): void {
    if (!this.stopped) this.abort.abort(new Error(`insights jobs stopped: ${reason}`));
  }

  async run(jobs: readonly J[], step: (job: J) => Promise<J[]>): Promise<void> {
    let failure: { error: unknown } | undefined;
    const launch = async (job: J): Promise<void> => {
      // The stop happens inside the limited call, before its slot goes to the next queued job.
      const next = await this.limit(async (): Promise<J[]> => {
        if (this.stopped) return [];
        try {
          return await step(job);
        } catch (error) {
          failure ??= { error };
          this.stop(error instanceof Error ? error.message : String(error));
          return [];
        }
      });
      await Promise.all(next.map(launch));
    };
    await Promise.all(jobs.map(launch));
    if (failure) throw failure.error;
  }
}
