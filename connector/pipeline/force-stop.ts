// The last resort of a stop: a third Ctrl-C kills what a run started instead of leaving it to finish
// on its own. Its own module so the CLI can hold one without loading the sync code on its start path.
import type { ChildProcess } from 'node:child_process';

/** What a run registers to kill its children at once; the CLI fires it on the third stop signal. */
export class ForceStop {
  private readonly kills = new Set<() => Promise<void>>();
  /** Adds a kill; returns the function that removes it (the run ended on its own). */
  register(kill: () => Promise<void>): () => void {
    this.kills.add(kill);
    return () => void this.kills.delete(kill);
  }
  /** Runs every registered kill; resolves once all are done. */
  async fire(): Promise<void> {
    await Promise.all([...this.kills].map((k) => k()));
  }
}

/**
 * How long a killed child may take to exit before the stop goes on without it. SIGKILL is not
 * instant when the child is inside an uninterruptible disk write (DuckDB committing on a busy
 * disk): 3 s was seen to be too short on a loaded machine, and until the child is gone its DuckDB
 * file stays locked against the re-run.
 */
export const KILL_WAIT_MS = 10_000;

/**
 * SIGKILL to each still-running child's process group (they run detached, in groups of their own);
 * resolves when each has exited (its DuckDB file lock is released then), or after waitMs, with the
 * pids of the children that had not exited by then ([] when all had).
 */
export async function killGroups(children: readonly ChildProcess[], waitMs: number = KILL_WAIT_MS): Promise<number[]> {
  const live = children.filter((c) => c.pid !== undefined && c.exitCode === null && c.signalCode === null);
  const exited = live.map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
  for (const c of live) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // Already gone between the check and the kill.
    }
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(exited), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
  return live.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid!);
}
