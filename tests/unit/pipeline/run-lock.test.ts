// The exclusive lock of a state or status file (connector/pipeline/run-lock.ts) between real
// processes: a live holder refuses the second one by pid (exit 7), a holder killed with -9 frees the
// file at once, and a released lock leaves nothing behind.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { ConnectorError, EXIT_CODES } from '../../../connector/core/errors.js';
import { LOCK_STALE_MS, lockExclusive, readLockOwner, removeDeadLock, type LockRequest } from '../../../connector/pipeline/run-lock.js';

const MODULE = pathToFileURL(path.join(REPO_ROOT, 'connector', 'pipeline', 'run-lock.ts')).href;

/** Another process that takes the lock on `file` and holds it until killed. */
async function holder(file: string): Promise<ChildProcess> {
  const code = `import { lockExclusive } from ${JSON.stringify(MODULE)}; await lockExclusive({ file: ${JSON.stringify(file)}, role: 'state file', holder: 'fb-ads-elt sync', onLost: () => process.exit(9) }); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', () => resolve());
    child.once('exit', (c) => reject(new Error(`the holder exited with ${c}`)));
  });
  return child;
}

const request = (file: string): LockRequest => ({ file, role: 'state file', holder: 'fb-ads-elt sync', onLost: () => expect.fail('lock lost') });

describe('pipeline run lock (one writer per state or status file)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'run-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second holder with exit 7, naming the live holder by pid, and takes over at once once that pid is killed -9', async () => {
    const file = path.join(dir, 'state.json');
    const first = await holder(file);
    try {
      const err = await lockExclusive(request(file)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ConnectorError);
      const e = err as ConnectorError;
      expect(e.exitCode).to.equal(EXIT_CODES.retryLater);
      expect(e.message).to.match(new RegExp(`^fb-ads-elt sync \\(pid ${first.pid}, since [0-9T:.-]+Z\\) holds state file ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));
      expect(e.hint).to.match(/wait for that one to finish/);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      expect(readLockOwner(file)?.pid, 'kill -9 leaves the lock behind').to.equal(first.pid);
      const t0 = performance.now();
      const lock = await lockExclusive(request(file));
      expect(performance.now() - t0, 'no wait for the stale period').to.be.below(LOCK_STALE_MS / 2);
      expect(readLockOwner(file)?.pid).to.equal(process.pid);
      await lock.release();
      expect(readdirSync(dir), 'released: nothing left beside the file').to.deep.equal([]);
    } finally {
      first.kill('SIGKILL');
    }
  });

  it('takes over at once from a holder killed -9 that its parent has not reaped yet (a zombie, as under a PID 1 that reaps late)', async function () {
    if (process.platform !== 'linux') this.skip();
    const file = path.join(dir, 'state.json');
    // The holder's parent execs into a sleep that never waits for it: killed, it stays a zombie.
    const code = `import { lockExclusive } from ${JSON.stringify(MODULE)}; await lockExclusive({ file: ${JSON.stringify(file)}, role: 'state file', holder: 'fb-ads-elt sync', onLost: () => process.exit(9) }); console.log('held'); setInterval(() => {}, 1000);`;
    const parent = spawn('sh', ['-c', `"${process.execPath}" --import tsx --input-type=module -e "$CODE" & echo $!; exec sleep 30`], { cwd: REPO_ROOT, env: { ...process.env, CODE: code }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: parent.stdout! })[Symbol.asyncIterator]();
      const pid = Number((await lines.next()).value);
      expect((await lines.next()).value).to.equal('held');
      process.kill(pid, 'SIGKILL');
      const state = (): string => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      };
      for (let i = 0; i < 100 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(state(), 'the killed holder is a zombie').to.equal('Z');
      const t0 = performance.now();
      const lock = await lockExclusive(request(file));
      expect(performance.now() - t0, 'no wait for the stale period').to.be.below(LOCK_STALE_MS / 2);
      expect(readLockOwner(file)?.pid).to.equal(process.pid);
      await lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('keeps the lock past its first refresh: naming the holder inside the lock folder does not pass for a takeover', async () => {
    // proper-lockfile refreshes the folder's mtime every LOCK_STALE_MS / 2 and gives the lock up if
    // that mtime is not the one it last set; owner.json written after it had set it moved it, so a
    // fresh process's first lock was lost at 5 s: every longer sync or serve stopped itself with
    // exit 7 ("Unable to update lock within the stale threshold"). A fresh process, as a sync is.
    const file = path.join(dir, 'state.json');
    const child = await holder(file);
    try {
      const exited = new Promise<number | null>((r) => child.once('exit', r));
      const outcome = await Promise.race([exited, new Promise<'held'>((r) => setTimeout(() => r('held'), LOCK_STALE_MS / 2 + 1_500))]);
      expect(outcome, 'the holder gave its lock up (exit 9 = onLost)').to.equal('held');
      expect(readLockOwner(file)?.pid).to.equal(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("recovering a dead holder's lock never removes a live lock another run took in the meantime (two runs recovering it at once)", async () => {
    const file = path.join(dir, 'state.json');
    const first = await holder(file);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const dead = readLockOwner(file)!;
    expect(dead.pid).to.equal(first.pid);
    // Run A recovers the dead lock and takes it; run B read the same dead owner just before.
    const a = await lockExclusive(request(file));
    try {
      expect(removeDeadLock(file, dead), 'B finds a live lock, not the dead one').to.equal(false);
      expect(readLockOwner(file)?.pid, "A's lock is where it was").to.equal(process.pid);
      expect(readdirSync(dir).sort()).to.deep.equal(['state.json.lock']);
      await lockExclusive(request(file)).then(
        () => expect.fail('a second lock was granted'),
        (e: ConnectorError) => expect(e.message).to.match(/^fb-ads-elt sync \(pid \d+/),
      );
    } finally {
      await a.release();
    }
  });

  it('refuses while the holder is unnamed (it has made the lock but not yet written who it is)', async () => {
    const file = path.join(dir, 'status.json');
    const lock = await lockExclusive(request(file));
    // Removing the file moves the folder's mtime to the kernel's clock; put back the one the lock set,
    // as a holder that never wrote it would have (and the clock matrix's shifted clock agrees with).
    const { mtime } = statSync(`${file}.lock`);
    rmSync(path.join(`${file}.lock`, 'owner.json'));
    utimesSync(`${file}.lock`, mtime, mtime);
    try {
      await lockExclusive(request(file)).then(
        () => expect.fail('a second lock was granted'),
        (e: ConnectorError) => expect(e.message).to.equal(`another run holds state file ${file}`),
      );
    } finally {
      await lock.release();
    }
    expect(existsSync(`${file}.lock`)).to.equal(false);
  });
});
