// Every file a bin creates is its owner's alone: the DuckDB warehouse (and its .wal and spill
// folder), the state file, serve's status history, dbt's output under sync, the report. They hold
// ad spend and every account id, and a default umask (022) would leave them world-readable.
/** Bits a bin never grants group or others on what it creates (files 0600, folders 0700). */
export const PRIVATE_UMASK = 0o077;

/**
 * Adds PRIVATE_UMASK to the process umask (kept for children: tap, target, dbt). Set once at a
 * bin's start, before anything is created; a file that already exists keeps the mode it has.
 */
export function keepNewFilesPrivate(): void {
  // process.umask() without an argument is deprecated (it writes the mask twice): set, then widen.
  const previous = process.umask(PRIVATE_UMASK);
  process.umask(previous | PRIVATE_UMASK);
}
