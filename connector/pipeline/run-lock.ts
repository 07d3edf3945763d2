// One writer per file: a `sync` holds its state file, a `serve` its status file, for as long as it
// runs, so a second one (a timer beside serve, two units on one state) stops at once with exit 7
// instead of running tap and target against the same bookmarks and warehouse.
// The lock is proper-lockfile's (an atomic mkdir of `<file>.lock`, its mtime refreshed while held,
// taken over once stale): maintained code that also covers a holder on another host or a frozen one.
// Inside it `owner.json` names the holder, so the refusal says who, and a holder whose pid is gone
// on this host (kill -9, OOM) is taken over at once rather than after LOCK_STALE_MS.
import fs, { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { ConnectorError } from '../core/errors.js';
import { alive } from '../core/scratch.js';

/**
 * How long a lock may go without its holder refreshing it (every half of this) before another run
 * takes it over: a holder on another host, or one whose pid was reused. proper-lockfile's default;
 * shorter would let a long garbage-collection pause hand the file to a second run.
 */
export const LOCK_STALE_MS = 10_000;

export interface LockOwner {
  pid: number;
  hostname: string;
  /** What holds it, as the refusal names it: "fb-ads-elt sync". */
  holder: string;
  since: string;
}

export interface ExclusiveLock {
  /** Frees the file for the next run (also done by proper-lockfile when the process exits). */
  release(): Promise<void>;
}

export interface LockRequest {
  /** The file guarded (state or status file); the lock lives beside it. */
  file: string;
  /** The file's role in messages: "state file", "status file". */
  role: string;
  /** What this process is, for the owner file: "fb-ads-elt sync". */
  holder: string;
  /** Called if another process took the lock over (this one was frozen past LOCK_STALE_MS). */
  onLost: (err: ConnectorError) => void;
}

const lockDirOf = (file: string): string => `${file}.lock`;
const OWNER_FILE = 'owner.json';
const ownerFileOf = (file: string): string => path.join(lockDirOf(file), OWNER_FILE);

/**
 * proper-lockfile's file system with two changes: its lock folder holds our owner file, written as
 * part of the mkdir, so the folder's mtime proper-lockfile then records and refreshes already counts
 * it (written after, it moved that mtime, and the first refresh took the lock for taken over); and
 * removing the lock (release, exit, a stale takeover) removes the folder with what is in it.
 */
function lockFsNaming(owner: Omit<LockOwner, 'since'>) {
  return {
    ...fs,
    mkdir: (p: string, cb: (err: NodeJS.ErrnoException | null) => void): void =>
      fs.mkdir(p, (err) => {
        if (err) return cb(err);
        try {
          writeFileSync(path.join(p, OWNER_FILE), JSON.stringify({ ...owner, since: new Date().toISOString() } satisfies LockOwner) + '\n');
        } catch (e) {
          fs.rmSync(p, { recursive: true, force: true });
          return cb(e as NodeJS.ErrnoException);
        }
        cb(null);
      }),
    rmdir: (p: string, cb: (err: NodeJS.ErrnoException | null) => void): void => fs.rm(p, { recursive: true, force: true }, cb),
    rmdirSync: (p: string): void => fs.rmSync(p, { recursive: true, force: true }),
  };
}

/** The owner file's content, or undefined when missing or torn (a holder between mkdir and write). */
export function readLockOwner(file: string): LockOwner | undefined {
  return readOwnerAt(ownerFileOf(path.resolve(file)));
}

function readOwnerAt(ownerFile: string): LockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(ownerFile, 'utf8')) as Partial<LockOwner>;
    return typeof v.pid === 'number' && typeof v.hostname === 'string' ? (v as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

const isLocked = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ELOCKED';

/** Takes the lock on `r.file` or throws a transient error (exit 7) naming the process that holds it. */
export async function lockExclusive(r: LockRequest): Promise<ExclusiveLock> {
  const file = path.resolve(r.file);
  const options = {
    stale: LOCK_STALE_MS,
    // The guarded file need not exist yet (a first run has no state file).
    realpath: false,
    fs: lockFsNaming({ pid: process.pid, hostname: os.hostname(), holder: r.holder }),
    onCompromised: (err: Error) => r.onLost(new ConnectorError('transient', `another process took over the lock on ${r.role} ${file}: ${err.message}`, { hint: 'This run stopped so that only one writes the file; run again once the other has finished.', context: { file } })),
  };
  let unlock: () => Promise<void>;
  try {
    unlock = await lockfile.lock(file, options);
  } catch (err) {
    if (!isLocked(err)) throw err;
    const owner = readLockOwner(file);
    if (!owner || owner.hostname !== os.hostname() || alive(owner.pid)) throw heldError(r, file, owner);
    // Its holder died without releasing it: the lock is ours to take, not a reason to wait.
    if (!removeDeadLock(file, owner)) throw heldError(r, file, readLockOwner(file));
    try {
      unlock = await lockfile.lock(file, options);
    } catch (again) {
      // Another run recovering the same lock got there first.
      if (isLocked(again)) throw heldError(r, file, readLockOwner(file));
      throw again;
    }
  }
  return {
    async release() {
      await unlock().catch(() => undefined); // already released or taken over: nothing left to free
    },
  };
}

/**
 * Removes the lock folder only if it is still the one `dead` held. Another run recovering the same
 * lock may have removed it and taken a new one since this run read the owner: removing the folder
 * by path would then delete that run's live lock and let both run. So the folder is first renamed
 * aside (atomic: one run gets it), its owner read there, and a folder that turns out to be someone
 * else's is put back. Returns whether the dead lock is gone (false: another run holds the file now).
 */
export function removeDeadLock(file: string, dead: LockOwner): boolean {
  const dir = lockDirOf(file);
  const aside = `${dir}.dead-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(dir, aside);
  } catch (err) {
    // Gone already: another run removed it (and may hold a new one, which lock() will find).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const found = readOwnerAt(path.join(aside, OWNER_FILE));
  if (found && found.pid === dead.pid && found.hostname === dead.hostname && found.since === dead.since) {
    rmSync(aside, { recursive: true, force: true });
    return true;
  }
  try {
    fs.renameSync(aside, dir);
  } catch {
    // A third run locked meanwhile; the folder taken aside holds no live lock of this one's.
    rmSync(aside, { recursive: true, force: true });
  }
  return false;
}

function heldError(r: LockRequest, file: string, owner: LockOwner | undefined): ConnectorError {
  const who = owner ? `${owner.holder} (pid ${owner.pid}${owner.hostname === os.hostname() ? '' : ` on ${owner.hostname}`}, since ${owner.since})` : 'another run';
  return new ConnectorError('transient', `${who} holds ${r.role} ${file}`, {
    hint: `Only one ${r.holder} may use a ${r.role} at a time: wait for that one to finish (or stop it), or give this one its own ${r.role}. A holder that was killed frees it at once; one on another host after ${LOCK_STALE_MS / 1000} s.`,
    context: { [r.role.replace(/ /g, '_')]: file, ...(owner ? { holder_pid: owner.pid, holder_host: owner.hostname } : {}) },
  });
}
