// Runs one connector CLI as a child process for the bench: stdin from a file, a generated stream or closed, stdout
// consumed (lines and bytes counted, optionally kept), stderr kept for diagnosis, and peak RSS taken
// from the kernel's own high-water mark (VmHWM in /proc/<pid>/status), polled while it runs.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** GNU time reports the child's ru_maxrss exactly at exit; polling /proc is the fallback. */
const GNU_TIME = '/usr/bin/time';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Peak resident set size in bytes (ru_maxrss via GNU time, else polled VmHWM), 0 when neither was available. */
  peakRssBytes: number;
  /** CPU seconds (user + system) of the child, from GNU time; undefined without it. */
  cpuSeconds: number | undefined;
  /** Where the peak came from. */
  rssSource: 'gnu-time' | 'proc-poll' | 'none';
  stdoutLines: number;
  stdoutBytes: number;
  /** Lines of stdout kept when `keepStdout` asked for it (e.g. STATE lines). */
  kept: string[];
  stderr: string;
}

export interface ChildOptions {
  args: string[];
  /** File piped into stdin; absent (and no `stdin`) = stdin closed at once. */
  stdinFile?: string;
  /** A stream piped into stdin instead of a file (input generated while the child reads it). */
  stdin?: Readable;
  /** Called with the child's pid once it is spawned (with GNU time, the pid of the time wrapper). */
  onSpawn?: (pid: number) => void;
  /** Called with every stdout line (counting RECORD lines, catching the last STATE). */
  onLine?: (line: string) => void;
  /** Poll /proc/<pid>/status even when GNU time is installed (tests cover both paths). */
  procPollOnly?: boolean;
  /** Also copy stdout to this file (a tap's output that a target reads next). */
  stdoutFile?: string;
  /** Which stdout lines to keep (the rest is only counted). */
  keepStdout?: (line: string) => boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Poll period of /proc/<pid>/status. */
  pollMs?: number;
  /** Kill the child after this long (a hung bench must not eat the time budget). */
  timeoutMs?: number;
}

/** A memory field (kB) of a live process's /proc/<pid>/status in bytes, or undefined when it is gone or /proc is absent. */
export function readStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined; // the process already exited between polls
  }
}

/** VmHWM (the kernel's peak resident set) of a live process in bytes, or undefined. */
export const readPeakRss = (pid: number): number | undefined => readStatusBytes(pid, 'VmHWM');

const STDERR_KEEP = 256 * 1024;

export function runChild(command: string, opts: ChildOptions): Promise<ChildRun> {
  const started = performance.now();
  const timeDir = !opts.procPollOnly && existsSync(GNU_TIME) ? mkdtempSync(join(tmpdir(), 'bench-rss-')) : undefined;
  const timeFile = timeDir ? join(timeDir, 'maxrss') : undefined;
  const [cmd, args] = timeFile ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...opts.args]] : [command, opts.args];
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: [opts.stdinFile || opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    // Own process group, so a timeout kills the connector too, not only the GNU time wrapper.
    detached: true,
  });
  let peak = 0;
  const poll = (): void => {
    if (child.pid === undefined || timeFile) return;
    const v = readPeakRss(child.pid);
    if (v !== undefined && v > peak) peak = v;
  };
  const timer = setInterval(poll, opts.pollMs ?? 50);
  const killGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL'); // the group is already gone
    }
  };
  const killer = opts.timeoutMs ? setTimeout(killGroup, opts.timeoutMs) : undefined;
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  if ((opts.stdinFile || opts.stdin) && child.stdin) {
    const input = opts.stdin ?? createReadStream(opts.stdinFile!);
    input.pipe(child.stdin);
    child.stdin.on('error', () => undefined); // the child may exit before reading everything; its exit code says why
  }
  let lines = 0;
  let bytes = 0;
  let rest = '';
  const kept: string[] = [];
  const stdout = child.stdout!; // stdio is piped above
  const copy = opts.stdoutFile ? createWriteStream(opts.stdoutFile) : undefined;
  if (copy) stdout.pipe(copy);
  stdout.setEncoding('utf8');
  stdout.on('data', (chunk: string) => {
    bytes += Buffer.byteLength(chunk);
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    lines += parts.length;
    if (opts.onLine) for (const p of parts) opts.onLine(p);
    if (opts.keepStdout) for (const p of parts) if (opts.keepStdout(p)) kept.push(p);
  });
  let stderr = '';
  const stderrStream = child.stderr!; // piped above
  stderrStream.setEncoding('utf8');
  stderrStream.on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > STDERR_KEEP * 2) stderr = stderr.slice(-STDERR_KEEP);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearInterval(timer);
      if (killer) clearTimeout(killer);
      reject(err);
    });
    // 'exit' fires before the zombie is reaped only in principle; the last successful poll is the figure.
    child.once('close', async (code, signal) => {
      if (copy && !copy.writableFinished) await new Promise<void>((r) => copy.once('finish', () => r()));
      clearInterval(timer);
      if (killer) clearTimeout(killer);
      if (rest) {
        lines++;
        opts.onLine?.(rest);
        if (opts.keepStdout?.(rest)) kept.push(rest);
      }
      const wallMs = performance.now() - started;
      let timed: number | undefined;
      let cpuSeconds: number | undefined;
      if (timeFile && timeDir) {
        try {
          // The last line is "%M %U %S"; a failing command adds a "Command exited…" line before it.
          const m = /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(readFileSync(timeFile, 'utf8'));
          if (m) {
            timed = Number(m[1]) * 1024;
            cpuSeconds = Number(m[2]) + Number(m[3]);
          }
        } catch {
          timed = undefined; // killed before GNU time wrote the file
        }
        rmSync(timeDir, { recursive: true, force: true });
      }
      // GNU time exits with the child's status; a signal shows as 128+n there.
      const peakRssBytes = timed ?? peak;
      const rssSource = timed !== undefined ? 'gnu-time' : peak > 0 ? 'proc-poll' : 'none';
      resolve({ code, signal, wallMs, peakRssBytes, rssSource, cpuSeconds, stdoutLines: lines, stdoutBytes: bytes, kept, stderr });
    });
  });
}
