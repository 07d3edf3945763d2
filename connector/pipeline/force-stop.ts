// The last resort of a stop: a third Ctrl-C kills what a run started instead of leaving it to finish
// on its own. Its own module so the CLI can hold one without loading the sync code on its start path.

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
