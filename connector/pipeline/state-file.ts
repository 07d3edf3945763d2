// The state file between runs: read the previous run's state for the tap, and persist the last
// state the target committed atomically (temp file + rename), so a crash never leaves half a file.
// Numbers are read and written without rounding (a bookmark beyond 2^53 keeps every digit).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { whereJsonFails } from '../core/json-errors.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { parseState, type BookmarkKeys, type StateWarn, type TapState } from '../singer/state.js';
import { parseJsonExact, stringifyExact } from '../singer/exact-json.js';
import { bookmarkKeys } from '../tap/discover.js';

/** What readStateFile checks beyond the shape: the tap's own checks, for a reader no tap follows (doctor). */
export interface StateFileCheck {
  /** The streams that keep bookmarks under the tap config (custom insights reports included). */
  keys?: BookmarkKeys;
  /** Told about bookmarks of streams outside `keys` (kept, not read). */
  warn?: StateWarn;
  /** The run's clock: a bookmark after it is refused as the tap refuses it. */
  now?: Date;
}

/**
 * Reads a state file; a missing file means "first run" (undefined), a broken one is a config error.
 * An empty one is a first run too (a scheduler may create it with `touch`), but not silently: a
 * file truncated by accident would otherwise start a full backfill nobody asked for.
 */
export function readStateFile(file: string, log?: Pick<Logger, 'warn'>, check: StateFileCheck = {}): TapState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`state file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { hint: 'Check the path and its permissions.' });
  }
  if (text.trim() === '') {
    log?.warn(`empty state file ${file}: this run backfills from start_date`, { state_file: file });
    return undefined;
  }
  let raw: unknown;
  try {
    raw = parseJsonExact(text);
  } catch (err) {
    throw new ConfigError(`state file ${file} ${whereJsonFails(text, err)}`, {
      hint: 'It is only ever written by rename, so something else edited it; restore it from a backup or delete it for a full re-sync.',
    });
  }
  try {
    // No warnings unless asked (doctor): the tap reads the same file with its config (custom reports) and warns once.
    return parseState(raw, check.keys ?? bookmarkKeys(), check.warn, check.now);
  } catch (err) {
    // parseState speaks of the tap's --state value; here the user knows the file, and may delete it.
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(`state file ${file}: ${err.message}`, {
      hint: err.context['foreign_state']
        ? `${err.hint ?? ''} E.g. mv ${file} ${file}.foreign`.trim()
        : err.context['missing_value']
          ? `${err.hint ?? ''} Edit ${file}; deleting the whole file re-reads every stream instead.`.trim()
          : `Only fb-ads-elt sync writes it (from the state the target committed): restore it from a backup, or delete it (${file}) for a full re-sync from start_date.`,
      context: { ...err.context, state_file: file },
    });
  }
}

/**
 * The file a path stands for, through symlinks (a state file kept on another volume and linked in):
 * renamed onto, the link itself would become a plain file and the file it points to keep old bookmarks.
 */
function linkedFile(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    // Missing (a first run), or a link whose file is not there yet: that file is the one to create.
  }
  try {
    return path.resolve(path.dirname(path.resolve(file)), readlinkSync(file));
  } catch {
    return path.resolve(file);
  }
}

/**
 * Writes `state` to `file` so that readers see either the old or the new content (writeFileAtomic),
 * readable by its owner only.
 */
export function writeStateAtomic(given: string, state: Record<string, unknown>): void {
  writeFileAtomic(given, stringifyExact(state) + '\n', 0o600);
}

/**
 * Writes `text` to `given` (a symlink's target, its folder created) so that readers see either the
 * old or the new content: a sibling temp file of `mode`, fsynced, renamed over the file (rename is
 * atomic within a directory on POSIX). Shared by state files and `fb-ads-elt report`'s page.
 */
export function writeFileAtomic(given: string, text: string, mode: number): void {
  const file = linkedFile(given);
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Accepts what a target echoes after a commit: a Singer STATE message (`{"type":"STATE","value":…}`)
 * or a bare state object. Returns undefined for lines that are not state.
 */
export function stateFromTargetLine(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let v: unknown;
  try {
    v = parseJsonExact(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (o['type'] === 'STATE') {
    const value = o['value'];
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  }
  if (o['type'] !== undefined) return undefined;
  return 'bookmarks' in o ? o : undefined;
}

/**
 * Persists the newest committed state without writing on every STATE line: at most one write per
 * `minIntervalMs`, and `flush()` at the end writes whatever is pending. Writes are synchronous,
 * so there is never a second write racing the first.
 */
export class StatePersister {
  private pending: Record<string, unknown> | undefined;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private writes = 0;
  private latest: Record<string, unknown> | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly minIntervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  get committed(): Record<string, unknown> | undefined {
    return this.latest;
  }

  get writeCount(): number {
    return this.writes;
  }

  offer(state: Record<string, unknown>): void {
    this.latest = state;
    this.pending = state;
    if (this.now() - this.lastWrite >= this.minIntervalMs) this.flush();
  }

  flush(): void {
    if (!this.pending) return;
    if (this.file) {
      writeStateAtomic(this.file, this.pending);
      this.writes++;
    }
    this.lastWrite = this.now();
    this.pending = undefined;
  }
}
