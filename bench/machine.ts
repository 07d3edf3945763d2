// The machine a bench ran on, as RESULTS.md reports it: CPU model (from /proc/cpuinfo), cores,
// RAM, OS, Node version and the load average at the start (a busy shared box skews every figure),
// and the commit it ran at.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Machine } from './report.js';

export function cpuModel(cpuinfo: string): string | undefined {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo) ?? /^(?:Model|Hardware|cpu model)\s*:\s*(.+)$/m.exec(cpuinfo);
  return m?.[1]?.trim();
}

export function describeMachine(): Machine {
  let info: string;
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    info = ''; // not Linux: fall back to what Node reports
  }
  return {
    cpu: cpuModel(info) ?? os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.availableParallelism(),
    ramBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    load:
      os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ') + ' (1 / 5 / 15 min)',
  };
}

/**
 * The commit a bench ran at (short hash), with "+ local changes" when tracked files other than the
 * results file differ from it: figures from an uncommitted tree cannot be reproduced from the hash.
 */
export function describeCommit(repo: string, resultsFile: string): string {
  const git = (...args: string[]): string | undefined => {
    const r = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const head = git('rev-parse', '--short=12', 'HEAD');
  if (!head) return 'unknown (not a git checkout)';
  const changed = (git('status', '--porcelain', '--untracked-files=no') ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => path.resolve(repo, l.slice(3)))
    .filter((f) => f !== path.resolve(resultsFile));
  return changed.length ? `${head} + local changes` : head;
}
