// Private scratch folders for row data (the target's batch files) and the sync's state copy. They
// live under one project-owned folder per user (mode 0700), named after the owning process, so a
// run killed with -9 leaves nothing behind for long: the next start removes folders whose process
// is gone. Nothing in them is ever readable by another user.
import { lstatSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from './errors.js';

export type ScratchKind = 'target' | 'sync';
/** Folders the releases before this module made directly in TMPDIR (one per run, never removed after kill -9). */
const LEGACY = /^(target-bigquery|fb-ads-elt-sync)-[A-Za-z0-9]{6}$/;
/** Legacy folders carry no pid: they are removed once this old, when no run can still use them. */
const LEGACY_AGE_MS = 24 * 3600 * 1000;

const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/** Whether a pid runs on this host: signal 0 probes without sending; EPERM means it exists (another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !zombie(pid);
}

/**
 * Whether the pid is a zombie: killed (kill -9, OOM) but not yet reaped by its parent, so it still
 * answers signal 0 while it runs no code and holds nothing. A container whose PID 1 reaps late (or
 * never) keeps one for a long while, and a lock or scratch folder of it would count as in use.
 * Linux only (`/proc/<pid>/stat`, state after the parenthesised command name); elsewhere: not known, false.
 */
function zombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}

/** The per-user root, created 0700; refused when it is a symlink or someone else's. */
export function scratchRoot(base: string = os.tmpdir()): string {
  const root = path.join(base, `fb-ads-elt-${uid() ?? 'user'}`);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const st = lstatSync(root);
  const me = uid();
  if (!st.isDirectory() || st.isSymbolicLink() || (me !== undefined && st.uid !== me)) {
    throw new ConfigError(`scratch folder ${root} is not a directory owned by this user`, { hint: 'Remove it (someone may be trying to read row data), or set TMPDIR / temp_dir to a private folder.' });
  }
  if ((st.mode & 0o077) !== 0) chmodSync(root, 0o700);
  return root;
}

/** Removes scratch folders whose process is gone (and old legacy ones); returns how many. */
export function sweepScratch(base: string = os.tmpdir(), now = Date.now()): number {
  let removed = 0;
  const root = scratchRoot(base);
  for (const name of readdirSync(root)) {
    const pid = /^(?:target|sync)-(\d+)-/.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid))) {
      rmSync(path.join(root, name), { recursive: true, force: true });
      removed++;
    }
  }
  const me = uid();
  for (const name of readdirSync(base)) {
    if (!LEGACY.test(name)) continue;
    const p = path.join(base, name);
    try {
      const st = lstatSync(p);
      if (st.isDirectory() && (me === undefined || st.uid === me) && now - st.mtimeMs > LEGACY_AGE_MS) {
        rmSync(p, { recursive: true, force: true });
        removed++;
      }
    } catch {
      // Gone meanwhile, or not ours to look at.
    }
  }
  return removed;
}

/** A fresh private folder for this process, after sweeping what dead runs left. */
export function makeScratch(kind: ScratchKind, base: string = os.tmpdir()): string {
  sweepScratch(base);
  return mkdtempSync(path.join(scratchRoot(base), `${kind}-${process.pid}-`));
}
